// Tests of src/registry/gc.cc: what gc keeps and why, and what it removes.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace freshet
