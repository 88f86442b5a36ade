// The registry's contract: names, opening, the lock, drafts and publish, resolution, channels and
// rollback, pins, gc, runs, verified reads, recovery after a dead writer, fsck and rebuild.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "freshet/error.hpp"
#include "freshet/fsck.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::MessageOf;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

const Change kWhy{"freshet registry test", "because"};

// Publishes a version of `model` with two artifacts; `warm` records a warm start from a version.
VersionInfo Publish(Registry& r, std::vector<std::string> channels = {"champion"},
                    std::optional<int64_t> warm = std::nullopt,
                    const std::string& model = "churn") {
  ModelWriter w = r.Lock(model);
  VersionDraft d = w.NewVersion();
  d.Write("model.pt", "weights of " + d.name());
  d.WriteJson(kEvalFile, {{"metrics", {{"auc", 0.7}}}});
  nlohmann::json manifest = {{"created", "2026-12-02T00:00:00Z"}, {"config_hash", "abc"}};
  if (warm) manifest["warm_started_from"] = VersionName(*warm);
  PublishRecord rec;
  rec.inputs = {{"/d/1.h5", "train", std::string(64, '1'), 3}, {"/d/2.h5", "eval", "22", 4}};
  // As BuildManifest does: the folder alone is enough to rebuild the lineage.
  for (const auto& in : rec.inputs) {
    manifest["inputs"].push_back(
        {{"path", in.path}, {"role", in.role}, {"rows", in.rows}, {"sha256", in.sha256}});
  }
  rec.metrics = {{"model", {{"auc", 0.7}, {"log_loss", nullptr}}}};
  rec.promote_to = std::move(channels);
  rec.change = kWhy;
  return w.Publish(d, manifest, rec);
}

class RegistryUnit : public ::testing::Test {
 protected:
  Registry Open() { return Registry::Open(dir_ / "reg", Registry::Mode::kReadWrite); }
  std::string Root() const { return dir_ / "reg"; }
  TempDir dir_;
};

TEST(CheckName, AcceptsTheDocumentedAlphabetOnly) {
  for (const char* ok : {"churn", "a", "fraud-2.b_c", "champion", "0"}) {
    EXPECT_NO_THROW(CheckName("model", ok)) << ok;
  }
  const std::pair<std::string, std::string> bad[] = {{"", "is empty"},
                                                     {"a/b", "path separator"},
                                                     {"..", "starts with a dot"},
                                                     {".hidden", "starts with a dot"},
                                                     {"x\x01y", "control character"},
                                                     {std::string(65, 'm'), "longer than 64"},
                                                     {"a b", "character ' '"}};
  for (const auto& entry : bad) {
    const std::string& name = entry.first;
    const std::string& why = entry.second;
    const std::string m = MessageOf<ConfigError>([&] { CheckName("channel", name); });
    EXPECT_EQ(m.rfind("channel \"", 0), 0u) << m;
    EXPECT_NE(m.find(why), std::string::npos) << m;
  }
  EXPECT_EQ(VersionName(42), "v000042");
}

TEST_F(RegistryUnit, OpeningReadOnlyNeedsARegistryAndNeverCreatesOne) {
  EXPECT_NE(MessageOf<ConfigError>([&] {
              Registry::Open(Root(), Registry::Mode::kReadOnly);
            }).find("no freshet registry here"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(Root()));
  Registry r = Open();
  EXPECT_TRUE(fs::exists(Root() + "/index.sqlite"));
  EXPECT_TRUE(r.Models().empty());
  Publish(r);
  Registry ro = Registry::Open(Root(), Registry::Mode::kReadOnly);
  EXPECT_EQ(ro.Models(), std::vector<std::string>{"churn"});
  EXPECT_THROW(ro.Promote("churn", "1", "canary", kWhy), IoError);  // read-only
}

TEST_F(RegistryUnit, ALostIndexIsNotRecreatedOverVersions) {
  {
    Registry r = Open();
    Publish(r);
  }
  for (const char* f : {"/index.sqlite", "/index.sqlite-wal", "/index.sqlite-shm"}) {
    fs::remove(Root() + f);
  }
  const std::string m = MessageOf<IoError>([&] { Open(); });
  EXPECT_NE(m.find("fsck --rebuild"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(Root() + "/index.sqlite"));
}

TEST_F(RegistryUnit, ANewerIndexFormatIsRefused) {
  { Open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((Root() + "/index.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  for (auto mode : {Registry::Mode::kReadOnly, Registry::Mode::kReadWrite}) {
    const std::string m = MessageOf<IoError>([&] { Registry::Open(Root(), mode); });
    EXPECT_NE(m.find("format 99, newer than this freshet reads (1)"), std::string::npos) << m;
  }
}

TEST_F(RegistryUnit, OneWriterPerModelAndWaitingForTheLock) {
  Registry a = Open(), b = Open();
  auto held = std::make_unique<ModelWriter>(a.Lock("churn"));
  EXPECT_THROW(b.Lock("churn"), LockedError);
  EXPECT_NO_THROW(b.Lock("fraud"));  // another model is not locked
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.reset();
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(b.Lock("churn", 10));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
  release.join();
}

TEST_F(RegistryUnit, ADraftIsInvisibleUntilPublishedAndLeavesNothingWhenDropped) {
  Registry r = Open();
  {
    ModelWriter w = r.Lock("churn");
    VersionDraft d = w.NewVersion();
    EXPECT_EQ(d.name(), "v000001");
    d.Write("model.pt", "x");
    EXPECT_TRUE(fs::exists(d.Describe("model.pt")));
    EXPECT_EQ(fs::path(d.Describe("model.pt")).parent_path().filename().string()[0], '.');
    EXPECT_TRUE(r.Versions("churn").empty());
  }
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(Root() + "/churn")) {
    left.push_back(e.path().filename().string());
  }
  EXPECT_EQ(left, std::vector<std::string>{".lock"});
}

TEST_F(RegistryUnit, PublishRecordsArtifactsLineageMetricsAndTheChannelMove) {
  Registry r = Open();
  const VersionInfo v = Publish(r);
  EXPECT_EQ(v.name, "v000001");
  EXPECT_EQ(v.channels, std::vector<std::string>{"champion"});
  const nlohmann::json m = r.Manifest(v);
  EXPECT_EQ(m["artifacts"]["model.pt"]["sha256"], Sha256("weights of v000001"));
  EXPECT_EQ(m["artifacts"]["model.pt"]["bytes"], 18);
  EXPECT_FALSE(m["artifacts"].contains(kManifestFile));
  EXPECT_EQ(r.Inputs(v).size(), 2u);
  EXPECT_EQ(r.Inputs(v)[1].role, "eval");
  EXPECT_DOUBLE_EQ(r.Metrics(v)["model"]["auc"].get<double>(), 0.7);
  EXPECT_TRUE(r.Metrics(v)["model"]["log_loss"].is_null());
  EXPECT_TRUE(r.SameInputs(v, r.Inputs(v)));
  auto other = r.Inputs(v);
  other[0].sha256 = "changed";
  EXPECT_FALSE(r.SameInputs(v, other));
  const auto h = r.History("churn");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].kind, "publish");
  EXPECT_EQ(h[1].kind, "promote");
  EXPECT_EQ(h[1].channel, "champion");
  EXPECT_EQ(h[1].reason, "because");
  EXPECT_EQ(h[1].command, "freshet registry test");
  EXPECT_FALSE(h[1].user.empty());
  EXPECT_FALSE(h[1].host.empty());
  EXPECT_FALSE(h[1].previous);
}

TEST_F(RegistryUnit, KnownSha256AnswersOnlyForTheSameStat) {
  Registry r = Open();
  ModelWriter w = r.Lock("churn");
  VersionDraft d = w.NewVersion();
  d.Write("model.pt", "x");
  PublishRecord rec;
  rec.inputs = {{"/d/1.h5", "train", "digest-1", 3, 100, 11, 12, 13}};
  w.Publish(d, nlohmann::json::object(), rec);
  InputFile in = rec.inputs[0];
  in.sha256.clear();
  EXPECT_EQ(r.KnownSha256(in), "digest-1");
  for (auto change :
       {&InputFile::bytes, &InputFile::mtime_ns, &InputFile::ctime_ns, &InputFile::inode}) {
    InputFile other = in;
    other.*change += 1;
    EXPECT_EQ(r.KnownSha256(other), "");
  }
  in.path = "/d/2.h5";
  EXPECT_EQ(r.KnownSha256(in), "");
}

TEST_F(RegistryUnit, ResolveTakesLatestChannelsAndNumbersAndListsWhatExists) {
  Registry r = Open();
  Publish(r);
  Publish(r, {});
  EXPECT_EQ(r.Resolve("churn", "latest").number, 2);
  EXPECT_EQ(r.Resolve("churn", "champion").number, 1);
  EXPECT_EQ(r.Resolve("churn", "2").number, 2);
  EXPECT_EQ(r.Resolve("churn", "v000001").number, 1);
  std::string m = MessageOf<ConfigError>([&] { r.Resolve("churn", "7"); });
  EXPECT_NE(m.find("version v000007 does not exist (versions v000001 to v000002; channels: "
                   "champion)"),
            std::string::npos)
      << m;
  m = MessageOf<ConfigError>([&] { r.Resolve("churn", "shadow"); });
  EXPECT_NE(m.find("no version or channel \"shadow\""), std::string::npos) << m;
  m = MessageOf<ConfigError>([&] { r.Resolve("fraud", "latest"); });
  EXPECT_NE(m.find("(models: churn)"), std::string::npos) << m;
  EXPECT_THROW(r.Resolve("churn", "a/b"), ConfigError);
}

TEST_F(RegistryUnit, EachRollbackUndoesOnePromotion) {
  Registry r = Open();
  for (int i = 0; i < 3; ++i) Publish(r);
  EXPECT_EQ(r.Rollback("churn", "champion", kWhy).version, 2);
  const Event e = r.Rollback("churn", "champion", kWhy);
  EXPECT_EQ(e.version, 1);
  EXPECT_EQ(e.previous, 2);
  EXPECT_NE(MessageOf<ConfigError>([&] {
              r.Rollback("churn", "champion", kWhy);
            }).find("no earlier live holder than v000001"),
            std::string::npos);
  EXPECT_NE(MessageOf<ConfigError>([&] {
              r.Rollback("churn", "canary", kWhy);
            }).find("channel \"canary\" does not exist (channels: champion)"),
            std::string::npos);
  // Promoting again and rolling back returns to the holder before that promotion.
  r.Promote("churn", "3", "champion", kWhy);
  EXPECT_EQ(r.Rollback("churn", "champion", kWhy).version, 1);
  EXPECT_FALSE(r.Promote("churn", "1", "champion", kWhy));  // already holds it: no event
}

TEST_F(RegistryUnit, GcKeepsWhatServesWhatItRollsBackToPinsAndLineage) {
  Registry r = Open();
  Publish(r);                   // v1
  Publish(r, {}, 1);            // v2, warm-started from v1
  Publish(r);                   // v3 champion
  Publish(r, {"champion"}, 2);  // v4 champion, warm-started from v2; rolls back to v3
  Publish(r, {});               // v5
  Publish(r, {});               // v6
  r.Pin("churn", "5", {"test", "audit"});
  ModelWriter w = r.Lock("churn");
  const GcResult dry = w.Gc(1, true, kWhy);
  EXPECT_EQ(dry.removed, std::vector<int64_t>{1});
  EXPECT_EQ(r.Versions("churn").size(), 6u);
  const GcResult g = w.Gc(1, false, kWhy);
  EXPECT_EQ(g.removed, std::vector<int64_t>{1});
  std::map<int64_t, std::string> why(g.kept.begin(), g.kept.end());
  EXPECT_NE(why[2].find("warm-start parent of v000004"), std::string::npos) << why[2];
  EXPECT_NE(why[3].find("champion rolls back to it"), std::string::npos) << why[3];
  EXPECT_NE(why[4].find("holds champion"), std::string::npos) << why[4];
  EXPECT_NE(why[5].find("pinned: audit"), std::string::npos) << why[5];
  EXPECT_NE(why[6].find("recent"), std::string::npos) << why[6];
  EXPECT_FALSE(fs::exists(Root() + "/churn/v000001"));
  EXPECT_NE(MessageOf<ConfigError>([&] { r.Resolve("churn", "1"); }).find("removed by gc"),
            std::string::npos);
  r.Unpin("churn", "5", kWhy);
  EXPECT_EQ(w.Gc(1, false, kWhy).removed, std::vector<int64_t>{5});
  EXPECT_EQ(w.NewVersion().number(), 7);  // numbers are never reused
}

TEST_F(RegistryUnit, RunsAreRecordedFromStartToEnd) {
  Registry r = Open();
  const int64_t run = r.BeginRun("churn", "freshet retrain -c x.yaml");
  ASSERT_EQ(r.Runs("churn").size(), 1u);
  EXPECT_TRUE(r.Runs("churn")[0].ended.empty());  // a run that died shows no end
  r.EndRun(run, 3, "nothing to do", std::nullopt, {{"/d/1.h5", "train", "ab", 10}});
  const RunRecord rec = r.Runs("churn")[0];
  EXPECT_EQ(rec.exit_code, 3);
  EXPECT_EQ(rec.reason, "nothing to do");
  EXPECT_FALSE(rec.ended.empty());
  EXPECT_EQ(rec.inputs[0]["rows"], 10);
  EXPECT_EQ(rec.command, "freshet retrain -c x.yaml");
}

TEST_F(RegistryUnit, ReadsAreVerifiedAgainstTheManifestAndTheIndex) {
  Registry r = Open();
  const VersionInfo v = Publish(r);
  const auto ok = r.Artifacts(v);
  EXPECT_EQ(ok->Read("model.pt"), "weights of v000001");
  // A flipped byte: the message names the file and both checksums.
  WriteFile(v.path + "/model.pt", "weights of v000002");
  std::string m = MessageOf<IoError>([&] { r.Artifacts(v)->Read("model.pt"); });
  EXPECT_NE(
      m.find(v.path + "/model.pt: its SHA-256 (" + Sha256("weights of v000002") +
             ") differs from the one manifest.json records (" + Sha256("weights of v000001") + ")"),
      std::string::npos)
      << m;
  // Truncated: the size says so first.
  WriteFile(v.path + "/model.pt", "weights");
  m = MessageOf<IoError>([&] { r.Artifacts(v)->Read("model.pt"); });
  EXPECT_NE(m.find("7 bytes, manifest.json records 18 (truncated or changed)"), std::string::npos)
      << m;
  // The manifest itself is checked against the index.
  WriteFile(v.path + "/manifest.json", ReadFile(v.path + "/manifest.json") + " ");
  m = MessageOf<IoError>([&] { r.Manifest(v); });
  EXPECT_NE(m.find("differs from the one the registry index records"), std::string::npos) << m;
}

TEST_F(RegistryUnit, AManifestOfANewerFormatIsRefused) {
  Registry r = Open();
  ModelWriter w = r.Lock("churn");
  VersionDraft d = w.NewVersion();
  d.Write("model.pt", "x");
  const VersionInfo v = w.Publish(d, {{"format", "freshet.manifest/2"}}, {});
  const std::string m = MessageOf<IoError>([&] { r.Manifest(v); });
  EXPECT_NE(m.find("manifest format \"freshet.manifest/2\" is not freshet.manifest/1"),
            std::string::npos)
      << m;
}

TEST_F(RegistryUnit, TheNextWriterRemovesWhatADeadOneLeft) {
  Registry r = Open();
  Publish(r);
  // The repro: a hidden draft with files in it (it once crashed Open's clean-up).
  fs::create_directory(Root() + "/churn/.v000002.tmp-1-1");
  WriteFile(Root() + "/churn/.v000002.tmp-1-1/model.json", "x");
  fs::create_directory(Root() + "/churn/v000002");  // renamed into place, never committed
  WriteFile(Root() + "/churn/v000002/manifest.json", "{}");
  ModelWriter w = r.Lock("churn");
  ASSERT_EQ(w.recovered().size(), 2u);
  EXPECT_EQ(w.recovered()[0].kind, "draft_folder");
  EXPECT_EQ(w.recovered()[1].kind, "orphan_folder");
  EXPECT_FALSE(fs::exists(Root() + "/churn/.v000002.tmp-1-1"));
  EXPECT_FALSE(fs::exists(Root() + "/churn/v000002"));
  EXPECT_EQ(w.NewVersion().number(), 2);
}

TEST_F(RegistryUnit, FsckFindsEachDamageAndRepairLosesNoCommittedVersion) {
  Registry r = Open();
  Publish(r);
  Publish(r);
  const VersionInfo v2 = r.Resolve("churn", "2");
  EXPECT_TRUE(Fsck(Root(), FsckMode::kCheck, kWhy).clean());
  WriteFile(v2.path + "/model.pt", "damaged");
  WriteFile(v2.path + "/notes.txt", "left by hand");
  FsckReport rep = Fsck(Root(), FsckMode::kCheck, kWhy);
  std::set<std::string> kinds;
  for (const auto& p : rep.problems) kinds.insert(p.kind);
  EXPECT_EQ(kinds, (std::set<std::string>{"changed_artifact", "unexpected_file"}));
  EXPECT_EQ(rep.versions, 2);
  EXPECT_FALSE(rep.clean());
  rep = Fsck(Root(), FsckMode::kRepair, kWhy);
  EXPECT_TRUE(rep.clean());
  // The broken version no longer resolves; the champion went back to v1; v1 is intact.
  Registry after = Registry::Open(Root(), Registry::Mode::kReadOnly);
  EXPECT_EQ(after.Resolve("churn", "champion").number, 1);
  EXPECT_NE(MessageOf<ConfigError>([&] { after.Resolve("churn", "2"); }).find("broken"),
            std::string::npos);
  EXPECT_TRUE(Fsck(Root(), FsckMode::kCheck, kWhy).problems.empty());
  EXPECT_TRUE(fs::exists(Root() + "/churn/.orphaned"));  // the stray file moved, not deleted
}

TEST_F(RegistryUnit, RebuildRestoresVersionsAndKeepsTheOldIndexsChannels) {
  {
    Registry r = Open();
    Publish(r);
    Publish(r);
    Publish(r, {"canary"});
    r.Rollback("churn", "champion", kWhy);
  }
  FsckReport rep = Fsck(Root(), FsckMode::kRebuild, kWhy);
  EXPECT_EQ(rep.versions, 3);
  {
    Registry r = Registry::Open(Root(), Registry::Mode::kReadOnly);
    EXPECT_EQ(r.Resolve("churn", "champion").number, 1);  // kept from the old index
    EXPECT_EQ(r.Resolve("churn", "canary").number, 3);
    EXPECT_EQ(r.Inputs(r.Resolve("churn", "2")).size(), 2u);
  }
  // Without any index: champion = the newest version.
  for (const auto& e : fs::directory_iterator(Root())) {
    if (e.path().filename().string().rfind("index.sqlite", 0) == 0) fs::remove(e.path());
  }
  rep = Fsck(Root(), FsckMode::kRebuild, kWhy);
  EXPECT_EQ(rep.versions, 3);
  Registry r = Registry::Open(Root(), Registry::Mode::kReadOnly);
  EXPECT_EQ(r.Resolve("churn", "champion").number, 3);
  EXPECT_TRUE(Fsck(Root(), FsckMode::kCheck, kWhy).problems.empty());
}

}  // namespace
}  // namespace freshet
