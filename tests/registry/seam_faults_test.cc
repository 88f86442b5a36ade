// Fault injection through the registry's filesystem seam (leveldb's fault_injection_test): every
// step of publish, promote, rollback, pin and gc fails once as a full disk would and once "crashes"
// the process. After each, the registry opens, nothing is half-visible, the operation either took
// effect entirely or not at all, each channel holds what its last recorded move says, fsck is clean
// (or --repair makes it clean), and the next publish works and is numbered after every committed
// version.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "freshet/error.hpp"
#include "freshet/fsck.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/faulty_env.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::FaultyEnv;
using testing::SimulatedCrash;
using testing::TempDir;

const Change kChange{"freshet test", "fault injection"};

// Publishes one small version of "churn" (and moves `channels` to it).
VersionInfo PublishOne(Registry& r, const std::vector<std::string>& channels = {"champion"}) {
  ModelWriter w = r.Lock("churn");
  VersionDraft d = w.NewVersion();
  d.Write(kModelFiles[0], std::string(3000, 'w') + d.name());
  d.WriteJson(kFeaturesFile, {{"format", "test"}});
  d.WriteJson(kEvalFile, {{"metrics", {{"auc", 0.5 + 0.01 * static_cast<double>(d.number())}}}});
  PublishRecord rec;
  rec.inputs = {{"/data/day-1.h5", "train", std::string(64, 'a'), 10},
                {"/data/day-2.h5", "eval", std::string(64, 'b'), 5}};
  rec.metrics = {{"model", {{"auc", 0.6}}}};
  rec.promote_to = channels;
  rec.change = kChange;
  return w.Publish(d, {{"created", "2026-12-02T00:00:00Z"}, {"config_hash", "h"}}, rec);
}

// The state the checks compare: live versions, channel holders, pins.
struct Snapshot {
  std::set<int64_t> live;
  std::map<std::string, int64_t> channels;
  std::set<int64_t> pinned;
  size_t events = 0;
  bool operator==(const Snapshot& o) const {
    return live == o.live && channels == o.channels && pinned == o.pinned && events == o.events;
  }
};

Snapshot Take(const std::string& root) {
  Registry r = Registry::Open(root, Registry::Mode::kReadOnly);
  Snapshot s;
  for (const auto& v : r.Versions("churn")) {
    s.live.insert(v.number);
    if (v.pinned) s.pinned.insert(v.number);
  }
  for (const auto& c : r.Channels("churn")) s.channels[c.name] = c.number;
  s.events = r.History("churn").size();
  return s;
}

// Every live version's files verify, and each channel holds what its last move recorded.
void ExpectConsistent(const std::string& root, const std::string& where) {
  Registry r = Registry::Open(root, Registry::Mode::kReadOnly);
  for (const auto& v : r.Versions("churn")) {
    const auto a = r.Artifacts(v);
    for (const char* name : {kModelFiles[0], kFeaturesFile, kEvalFile}) {
      EXPECT_NO_THROW(a->Read(name)) << where << ": " << v.name << "/" << name;
    }
  }
  for (const auto& c : r.Channels("churn")) {
    std::optional<int64_t> last;
    for (const auto& e : r.History("churn", c.name)) {
      if (e.kind == "promote" || e.kind == "rollback") last = e.version;
    }
    EXPECT_EQ(last, c.number) << where << ": channel " << c.name;
  }
}

struct Op {
  const char* name;
  std::function<void(Registry&)> run;
  // What the operation does when it succeeds, applied to the snapshot before it.
  std::function<Snapshot(Snapshot)> effect;
  // States between, each itself committed: gc removes one version per transaction.
  std::function<Snapshot(Snapshot)> partial = nullptr;
};

// The registry every case starts from: v1..v4 published, champion moved to each in turn.
void Seed(const std::string& root) {
  Registry r = Registry::Open(root, Registry::Mode::kReadWrite);
  for (int i = 0; i < 4; ++i) PublishOne(r);
}

std::vector<Op> Ops() {
  return {
      {"publish", [](Registry& r) { PublishOne(r); },
       [](Snapshot s) {
         s.live.insert(5);
         s.channels["champion"] = 5;
         s.events += 2;  // publish, promote
         return s;
       }},
      {"promote", [](Registry& r) { r.Promote("churn", "2", "canary", kChange); },
       [](Snapshot s) {
         s.channels["canary"] = 2;
         s.events += 1;
         return s;
       }},
      {"rollback", [](Registry& r) { r.Rollback("churn", "champion", kChange); },
       [](Snapshot s) {
         s.channels["champion"] = 3;
         s.events += 1;
         return s;
       }},
      {"pin", [](Registry& r) { r.Pin("churn", "1", kChange); },
       [](Snapshot s) {
         s.pinned.insert(1);
         s.events += 1;
         return s;
       }},
      {"gc",
       [](Registry& r) {
         ModelWriter w = r.Lock("churn");
         w.Gc(0, false, kChange);  // removes v1 and v2 (v4 champion, v3 its rollback target)
       },
       [](Snapshot s) {
         s.live.erase(1);
         s.live.erase(2);
         s.events += 2;
         return s;
       },
       [](Snapshot s) {
         s.live.erase(1);
         s.events += 1;
         return s;
       }},
  };
}

TEST(SeamFaults, EveryStepOfEveryOperationFailsOrCrashesSafely) {
  TempDir base;
  const std::string seed = base / "seed";
  Seed(seed);
  const Snapshot before = Take(seed);
  int total = 0;
  for (const Op& op : Ops()) {
    // Count the operation's steps once, with nothing injected.
    FaultyEnv counter;
    {
      TempDir dir;
      fs::copy(seed, dir / "r", fs::copy_options::recursive);
      Registry r = Registry::Open(dir / "r", Registry::Mode::kReadWrite, &counter);
      counter.Arm(FaultyEnv::Mode::kNone, 0);
      op.run(r);
      EXPECT_EQ(Take(dir / "r"), op.effect(before)) << op.name << " without faults";
    }
    const int steps = counter.steps();
    ASSERT_GT(steps, 0) << op.name;
    std::cout << "[ faults   ] " << op.name << ": " << steps << " steps x 2 modes\n";
    for (int k = 1; k <= steps; ++k) {
      for (auto mode : {FaultyEnv::Mode::kError, FaultyEnv::Mode::kCrash}) {
        ++total;
        const std::string where = std::string(op.name) + " step " + std::to_string(k) + " (" +
                                  counter.log()[static_cast<size_t>(k - 1)] + ", " +
                                  (mode == FaultyEnv::Mode::kError ? "error" : "crash") + ")";
        TempDir dir;
        const std::string root = dir / "r";
        fs::copy(seed, root, fs::copy_options::recursive);
        FaultyEnv env;
        bool threw = false;
        try {
          Registry r = Registry::Open(root, Registry::Mode::kReadWrite, &env);
          env.Arm(mode, k);
          op.run(r);
        } catch (const IoError&) {
          threw = true;
        } catch (const SimulatedCrash&) {
          threw = true;
        }
        EXPECT_TRUE(threw) << where << ": the injected fault went unnoticed";
        // All or nothing, and consistent, before any repair.
        const Snapshot after = Take(root);
        EXPECT_TRUE(after == before || after == op.effect(before) ||
                    (op.partial && after == op.partial(before)))
            << where;
        ExpectConsistent(root, where);
        FsckReport check = Fsck(root, FsckMode::kCheck, kChange);
        for (const auto& p : check.problems) {
          EXPECT_TRUE(p.kind == "draft_folder" || p.kind == "orphan_folder" ||
                      p.kind == "gc_folder" || p.kind == "deleted_folder")
              << where << ": " << p.kind << " " << p.path << ": " << p.detail;
        }
        if (mode == FaultyEnv::Mode::kError && op.name != std::string("gc")) {
          // An error (not a crash) is cleaned up by the operation itself.
          EXPECT_TRUE(check.clean()) << where;
        }
        EXPECT_TRUE(Fsck(root, FsckMode::kRepair, kChange).clean()) << where;
        EXPECT_TRUE(Fsck(root, FsckMode::kCheck, kChange).problems.empty()) << where;
        // The next publish works and is numbered after every version ever committed.
        Registry r = Registry::Open(root, Registry::Mode::kReadWrite);
        const VersionInfo next = PublishOne(r);
        EXPECT_EQ(next.number, after.live.count(5) ? 6 : 5) << where;
        ExpectConsistent(root, where + ", then a publish");
      }
    }
  }
  std::cout << "[ faults   ] " << total << " fault points tried\n";
  EXPECT_GE(total, 40);
}

// The steps `op` takes on a copy of the registry at `root`, with nothing injected.
std::vector<std::string> StepsOf(const std::string& root,
                                 const std::function<void(Registry&)>& op) {
  TempDir tmp;
  fs::copy(root, tmp / "r", fs::copy_options::recursive);
  FaultyEnv counter;
  Registry r = Registry::Open(tmp / "r", Registry::Mode::kReadWrite, &counter);
  counter.Arm(FaultyEnv::Mode::kNone, 0);
  op(r);
  return counter.log();
}

TEST(SeamFaults, AFullDiskAtEachWriteOfAPublishLeavesNoPartialFile) {
  TempDir dir;
  const std::string root = dir / "r";
  Seed(root);
  const std::vector<std::string> steps = StepsOf(root, [](Registry& r) { PublishOne(r); });
  int writes = 0;
  for (int k = 1; k <= static_cast<int>(steps.size()); ++k) {
    if (steps[static_cast<size_t>(k - 1)].rfind("write ", 0) != 0) continue;
    ++writes;
    FaultyEnv env;
    std::string message;
    try {
      Registry r = Registry::Open(root, Registry::Mode::kReadWrite, &env);
      env.Arm(FaultyEnv::Mode::kError, k);
      PublishOne(r);
    } catch (const IoError& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
    EXPECT_NE(message.find(root + "/churn/"), std::string::npos) << "names the path: " << message;
    // Nothing but the committed versions and the lock in the model folder.
    for (const auto& e : fs::directory_iterator(root + "/churn")) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == ".lock" || (name[0] == 'v' && name <= "v000004")) << name;
    }
    EXPECT_TRUE(Fsck(root, FsckMode::kCheck, kChange).problems.empty()) << k;
  }
  EXPECT_GE(writes, 4);  // model.pt, features.json, eval.json, manifest.json
  Registry r = Registry::Open(root, Registry::Mode::kReadWrite);
  EXPECT_EQ(PublishOne(r).number, 5);
}

TEST(SeamFaults, ACrashedPublishIsRemovedByTheNextWriter) {
  TempDir dir;
  const std::string root = dir / "r";
  Seed(root);
  FaultyEnv env;
  // Crash just before the index commit: the folder is in place, the row is not.
  const std::vector<std::string> steps = StepsOf(root, [](Registry& r) { PublishOne(r); });
  int commit = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].rfind("index: publish", 0) == 0) commit = static_cast<int>(i) + 1;
  }
  ASSERT_GT(commit, 0);
  try {
    Registry r = Registry::Open(root, Registry::Mode::kReadWrite, &env);
    env.Arm(FaultyEnv::Mode::kCrash, commit);
    PublishOne(r);
  } catch (const SimulatedCrash&) {
  }
  EXPECT_TRUE(fs::is_directory(root + "/churn/v000005"));  // renamed into place, not committed
  Registry r = Registry::Open(root, Registry::Mode::kReadOnly);
  EXPECT_EQ(r.Versions("churn").size(), 4u);  // ... so not visible
  EXPECT_EQ(r.Resolve("churn", "champion").number, 4);
  Registry w = Registry::Open(root, Registry::Mode::kReadWrite);
  ModelWriter writer = w.Lock("churn");
  ASSERT_EQ(writer.recovered().size(), 1u);
  EXPECT_EQ(writer.recovered()[0].kind, "orphan_folder");
  EXPECT_FALSE(fs::exists(root + "/churn/v000005"));
}

}  // namespace
}  // namespace freshet
