// The online checkpoint file: exact round trips through the Env seam, a missing checkpoint, files
// that are not checkpoints (each an ArtifactError naming the path), and failures and "crashes" at
// every step of a write (the previous checkpoint survives, no temporary file is left by a failed
// write).
#include "online/checkpoint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/env.hpp"
#include "freshet/error.hpp"
#include "io/test_util.h"
#include "registry/faulty_env.h"

namespace freshet::online {
namespace {

using freshet::testing::FaultyEnv;
using freshet::testing::MessageOf;
using freshet::testing::SimulatedCrash;
using freshet::testing::TempDir;

constexpr char kMagic[] = "freshet.online_checkpoint/1\n";

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(byte(rng));
  return s;
}

Checkpoint Sample(int generation) {
  Checkpoint c;
  c.state = {{"format", 1},
             {"generation", generation},
             {"position", {{"records", 1234567 + generation}, {"file", "a.csv"}}},
             {"pending", nlohmann::json::array({{{"key", "k1"}, {"record", 3}}})},
             {"x", 0.1},
             {"unicode", "caf\xc3\xa9"}};
  c.learner = std::string("weights\0with\0nuls\n", 18) + std::to_string(generation);
  c.champion = RandomBytes(300, 7 + generation);
  return c;
}

void ExpectSame(const Checkpoint& a, const Checkpoint& b) {
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.learner, b.learner);
  EXPECT_EQ(a.champion, b.champion);
}

// The header of a checkpoint whose parts have these sizes, followed by `body`.
std::string File(const std::string& sizes, const std::string& body) {
  return std::string(kMagic) + sizes + "\n" + body;
}

class CheckpointTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_ / kCheckpointFile; }
  std::string Tmp() const { return dir_ / (std::string(".") + kCheckpointFile + ".tmp"); }
  // Writes raw bytes as the checkpoint file.
  void Put(const std::string& bytes) { Env::Default()->WriteFile(Path(), bytes); }
  // The ArtifactError message of reading the folder's checkpoint.
  std::string ReadError() {
    return MessageOf<ArtifactError>([&] { ReadCheckpoint(Env::Default(), dir_.path()); });
  }

  TempDir dir_;
};

TEST_F(CheckpointTest, RoundTripsStateLearnerAndChampion) {
  const Checkpoint c = Sample(1);
  WriteCheckpoint(Env::Default(), dir_.path(), c);
  const std::optional<Checkpoint> back = ReadCheckpoint(Env::Default(), dir_.path());
  ASSERT_TRUE(back.has_value());
  ExpectSame(*back, c);
  // One file under its name and nothing else.
  EXPECT_EQ(Env::Default()->ListDir(dir_.path()), (std::vector<std::string>{kCheckpointFile}));
}

TEST_F(CheckpointTest, TheFileIsMagicSizesThenTheParts) {
  Checkpoint c;
  c.state = {{"a", 1}};
  c.learner = "LL";
  c.champion = "CCC";
  WriteCheckpoint(Env::Default(), dir_.path(), c);
  EXPECT_EQ(Env::Default()->ReadFile(Path()), File("7 2 3", R"({"a":1})"
                                                            "LL"
                                                            "CCC"));
}

TEST_F(CheckpointTest, RoundTripsEmptyAndBinaryParts) {
  // Every byte value, NULs and newlines first, in every part; and each part empty in turn.
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string nuls(17, '\0');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {all, ""},
      {"", all},
      {nuls, nuls},
      {all + nuls, nuls + all},
      {"\n", ""},
      {"", "\n\n\n"},
      {kMagic, ""},
      {RandomBytes(100000, 1), RandomBytes(65537, 2)},
  };
  for (const auto& [learner, champion] : cases) {
    for (const nlohmann::json& state :
         {nlohmann::json::object(), nlohmann::json(nullptr), nlohmann::json::array(),
          nlohmann::json{{"s", std::string("a\0b", 3)}, {"d", -0.0}, {"big", INT64_MAX}}}) {
      Checkpoint c{state, learner, champion};
      WriteCheckpoint(Env::Default(), dir_.path(), c);
      const auto back = ReadCheckpoint(Env::Default(), dir_.path());
      ASSERT_TRUE(back.has_value());
      ExpectSame(*back, c);
      EXPECT_EQ(back->learner.size(), learner.size());
      EXPECT_EQ(back->champion.size(), champion.size());
    }
  }
}

TEST_F(CheckpointTest, DoublesRoundTripExactly) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  nlohmann::json values = nlohmann::json::array();
  std::vector<double> expected;
  for (int i = 0; i < 200; ++i) expected.push_back(u(rng) / 3);
  expected.push_back(std::numeric_limits<double>::denorm_min());
  expected.push_back(std::numeric_limits<double>::max());
  expected.push_back(-std::numeric_limits<double>::min());
  for (double v : expected) values.push_back(v);
  Checkpoint c;
  c.state["v"] = values;
  WriteCheckpoint(Env::Default(), dir_.path(), c);
  const auto back = ReadCheckpoint(Env::Default(), dir_.path());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->state.at("v").get<std::vector<double>>(), expected);
}

TEST_F(CheckpointTest, AWriteReplacesTheCheckpoint) {
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(1));
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(2));
  const auto back = ReadCheckpoint(Env::Default(), dir_.path());
  ASSERT_TRUE(back.has_value());
  ExpectSame(*back, Sample(2));
  EXPECT_EQ(Env::Default()->ListDir(dir_.path()), (std::vector<std::string>{kCheckpointFile}));
}

TEST_F(CheckpointTest, NoCheckpointIsNothing) {
  EXPECT_FALSE(ReadCheckpoint(Env::Default(), dir_.path()).has_value());
  // Nor a folder that does not exist.
  EXPECT_FALSE(ReadCheckpoint(Env::Default(), dir_ / "no/such/folder").has_value());
  // Nor a leftover temporary file: it was never renamed into place.
  Env::Default()->WriteFile(Tmp(), File("2 0 0", "{}"));
  EXPECT_FALSE(ReadCheckpoint(Env::Default(), dir_.path()).has_value());
}

TEST_F(CheckpointTest, TruncatedFilesAreArtifactErrorsNamingThePath) {
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(1));
  const std::string whole = Env::Default()->ReadFile(Path());
  // Every prefix shorter than the whole file, and the file with one byte too many.
  std::vector<size_t> cuts = {
      0, 1, sizeof(kMagic) - 2, sizeof(kMagic) - 1, sizeof(kMagic), whole.size() - 1};
  for (size_t n = sizeof(kMagic) + 1; n < whole.size(); n += 37) cuts.push_back(n);
  for (size_t n : cuts) {
    SCOPED_TRACE("first " + std::to_string(n) + " bytes of " + std::to_string(whole.size()));
    Put(whole.substr(0, n));
    const std::string message = ReadError();
    EXPECT_EQ(message.rfind(Path() + ": not a freshet online checkpoint: ", 0), 0u) << message;
  }
  Put(whole + "x");
  const std::string message = ReadError();
  EXPECT_NE(message.find(Path()), std::string::npos) << message;
  EXPECT_NE(message.find("bytes after its header"), std::string::npos) << message;
}

TEST_F(CheckpointTest, TheSizesMustAddUpToTheBody) {
  Put(File("2 0 0", "{}x"));
  EXPECT_NE(ReadError().find("holds 3 bytes after its header, 2 expected"), std::string::npos);
  Put(File("2 1 1", "{}x"));
  EXPECT_NE(ReadError().find("holds 3 bytes after its header, 4 expected"), std::string::npos);
}

TEST_F(CheckpointTest, AWrongFirstLineIsAnArtifactError) {
  for (const std::string& bytes :
       {std::string(""), std::string("freshet.online_checkpoint/2\n2 0 0\n{}"),
        std::string("freshet.online_checkpoint/1\r\n2 0 0\n{}"),
        std::string("FRESHET.ONLINE_CHECKPOINT/1\n2 0 0\n{}"), std::string("{\"format\": 1}"),
        std::string("\n") + kMagic + "2 0 0\n{}"}) {
    SCOPED_TRACE(bytes);
    Put(bytes);
    const std::string message = ReadError();
    EXPECT_EQ(message.rfind(Path() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("wrong first line"), std::string::npos) << message;
  }
}

TEST_F(CheckpointTest, ABadSizeLineIsAnArtifactError) {
  for (const char* sizes : {"x 0 0", "2 0 0 0", "2 0 0 ", "2,0,0", "2 0 0x", "0x2 0 0"}) {
    SCOPED_TRACE(sizes);
    Put(File(sizes, "{}"));
    const std::string message = ReadError();
    EXPECT_EQ(message.rfind(Path() + ": not a freshet online checkpoint: ", 0), 0u) << message;
  }
  // No newline after the sizes at all.
  Put(std::string(kMagic) + "2 0 0");
  EXPECT_NE(ReadError().find("no size line"), std::string::npos);
}

// The size line is three decimal counts: a sign, a count beyond the file ("-2 2 2" once wrapped
// to a sum of 2) or fewer counts are an ArtifactError ("malformed size line").
TEST_F(CheckpointTest, ASizeLineOfOtherThanThreeDecimalCountsIsRefused) {
  for (const char* sizes : {"-2 2 2", "18446744073709551614 2 2", "2 0"}) {
    SCOPED_TRACE(sizes);
    Put(File(sizes, "{}"));
    std::optional<Checkpoint> c;
    try {
      c = ReadCheckpoint(Env::Default(), dir_.path());
    } catch (const ArtifactError& e) {
      EXPECT_NE(std::string(e.what()).find(Path()), std::string::npos) << e.what();
      continue;
    }
    ADD_FAILURE() << "accepted; learner \"" << (c ? c->learner : "") << "\", champion \""
                  << (c ? c->champion : "") << "\"";
  }
}

TEST_F(CheckpointTest, InvalidJsonIsAnArtifactError) {
  for (const std::string& json : {std::string("{"), std::string("{\"a\":}"), std::string("nul"),
                                  std::string("  "), std::string("{}}")}) {
    SCOPED_TRACE(json);
    Put(File(std::to_string(json.size()) + " 1 0", json + "L"));
    const std::string message = ReadError();
    EXPECT_EQ(message.rfind(Path() + ": not a freshet online checkpoint: invalid JSON", 0), 0u)
        << message;
  }
  // The JSON part ends where its size says, even when valid JSON would go on.
  Put(File("2 3 0", "{}{}x"));
  const auto c = ReadCheckpoint(Env::Default(), dir_.path());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->state, nlohmann::json::object());
  EXPECT_EQ(c->learner, "{}x");
}

// The steps of one write: the temporary file, its rename over the checkpoint, the folder's fsync.
TEST_F(CheckpointTest, AWriteTakesThreeSteps) {
  FaultyEnv env;
  env.Arm(FaultyEnv::Mode::kNone, 0);
  WriteCheckpoint(&env, dir_.path(), Sample(1));
  EXPECT_EQ(env.log(), (std::vector<std::string>{"write " + Tmp(), "rename " + Tmp(),
                                                 "fsync " + dir_.path()}));
}

TEST_F(CheckpointTest, AFailedWriteKeepsThePreviousCheckpointAndLeavesNoTemporaryFile) {
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(1));
  FaultyEnv env;
  env.Arm(FaultyEnv::Mode::kError, 1);  // the temporary file: half of it is written, then ENOSPC
  const std::string message =
      MessageOf<IoError>([&] { WriteCheckpoint(&env, dir_.path(), Sample(2)); });
  EXPECT_NE(message.find(Tmp()), std::string::npos) << message;
  EXPECT_FALSE(Env::Default()->Exists(Tmp()));
  EXPECT_EQ(Env::Default()->ListDir(dir_.path()), (std::vector<std::string>{kCheckpointFile}));
  const auto back = ReadCheckpoint(Env::Default(), dir_.path());
  ASSERT_TRUE(back.has_value());
  ExpectSame(*back, Sample(1));
  // The next write succeeds.
  env.Arm(FaultyEnv::Mode::kNone, 0);
  WriteCheckpoint(&env, dir_.path(), Sample(3));
  ExpectSame(*ReadCheckpoint(Env::Default(), dir_.path()), Sample(3));
}

TEST_F(CheckpointTest, AFailedFirstWriteLeavesNoCheckpoint) {
  FaultyEnv env;
  env.Arm(FaultyEnv::Mode::kError, 1);
  EXPECT_THROW(WriteCheckpoint(&env, dir_.path(), Sample(1)), IoError);
  EXPECT_FALSE(ReadCheckpoint(Env::Default(), dir_.path()).has_value());
  EXPECT_TRUE(Env::Default()->ListDir(dir_.path()).empty());
}

TEST_F(CheckpointTest, AFailedRenameKeepsThePreviousCheckpoint) {
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(1));
  FaultyEnv env;
  env.Arm(FaultyEnv::Mode::kError, 2);
  EXPECT_THROW(WriteCheckpoint(&env, dir_.path(), Sample(2)), IoError);
  ExpectSame(*ReadCheckpoint(Env::Default(), dir_.path()), Sample(1));
  // A later write replaces whatever temporary file was left.
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(3));
  ExpectSame(*ReadCheckpoint(Env::Default(), dir_.path()), Sample(3));
  EXPECT_FALSE(Env::Default()->Exists(Tmp()));
}

TEST_F(CheckpointTest, ACrashBetweenWriteAndRenameLeavesTheOldCheckpointReadable) {
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(1));
  FaultyEnv env;
  env.Arm(FaultyEnv::Mode::kCrash, 2);  // the temporary file is written; the process dies
  EXPECT_THROW(WriteCheckpoint(&env, dir_.path(), Sample(2)), SimulatedCrash);
  EXPECT_TRUE(env.dead());
  // "Restart": a fresh process reads the old checkpoint, then writes over the stale temporary.
  ExpectSame(*ReadCheckpoint(Env::Default(), dir_.path()), Sample(1));
  WriteCheckpoint(Env::Default(), dir_.path(), Sample(3));
  ExpectSame(*ReadCheckpoint(Env::Default(), dir_.path()), Sample(3));
  EXPECT_EQ(Env::Default()->ListDir(dir_.path()), (std::vector<std::string>{kCheckpointFile}));
}

// A failure or crash at any step leaves the old checkpoint or the new one, complete.
TEST_F(CheckpointTest, EveryStepFailedOrCrashedLeavesOneWholeCheckpoint) {
  for (auto mode : {FaultyEnv::Mode::kError, FaultyEnv::Mode::kCrash}) {
    for (int step = 1; step <= 3; ++step) {
      SCOPED_TRACE(std::string(mode == FaultyEnv::Mode::kError ? "error" : "crash") + " at step " +
                   std::to_string(step));
      TempDir dir;
      WriteCheckpoint(Env::Default(), dir.path(), Sample(1));
      FaultyEnv env;
      env.Arm(mode, step);
      bool failed = false;
      try {
        WriteCheckpoint(&env, dir.path(), Sample(2));
      } catch (const IoError&) {
        failed = true;
      } catch (const SimulatedCrash&) {
        failed = true;
      }
      EXPECT_TRUE(failed);
      const auto back = ReadCheckpoint(Env::Default(), dir.path());
      ASSERT_TRUE(back.has_value());
      // Before the rename the old one; from the rename on (it happened) the new one.
      ExpectSame(*back, step <= 2 ? Sample(1) : Sample(2));
    }
  }
}

}  // namespace
}  // namespace freshet::online
