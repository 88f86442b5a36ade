// Tests of src/registry/fsck.cc: check and repair.
#include "freshet/fsck.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "freshet/error.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::kWhy;
using testing::MessageOf;
using testing::Publish;
using testing::RegistryUnit;
using testing::WriteFile;

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

}  // namespace
}  // namespace freshet
