// Tests of src/registry/rebuild.cc: fsck --rebuild, a new index from the version folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "freshet/fsck.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::kWhy;
using testing::Publish;
using testing::RegistryUnit;

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

TEST_F(RegistryUnit, RebuildNeverMakesAVersionTheGateKeptOutChampion) {
  {
    Registry r = Open();
    Publish(r);  // v1: no gate decision (an older freshet): champion
    for (const char* to : {R"(["champion"])", "[]", R"(["shadow"])"}) {
      ModelWriter w = r.Lock("churn");
      VersionDraft d = w.NewVersion();
      d.Write(kEvalFile, std::string(R"({"gate": {"decision": "x", "promoted_to": )") + to + "}}");
      PublishRecord rec;
      rec.change = kWhy;
      w.Publish(d, {{"created", "2026-12-02T00:00:00Z"}}, rec);
    }
  }
  // v2 promoted to champion, v3 kept out, v4 sent to shadow first; the index is lost.
  for (const auto& e : fs::directory_iterator(Root())) {
    if (e.path().filename().string().rfind("index.sqlite", 0) == 0) fs::remove(e.path());
  }
  Fsck(Root(), FsckMode::kRebuild, kWhy);
  const Registry r = Registry::Open(Root(), Registry::Mode::kReadOnly);
  EXPECT_EQ(r.Resolve("churn", "champion").number, 2);
}

}  // namespace
}  // namespace freshet
