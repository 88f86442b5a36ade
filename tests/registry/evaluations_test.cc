// Tests of src/registry/evaluations.cc: evaluations recorded after a publish (shadow runs) with
// the channel moves they earn, in one transaction; kept by fsck --rebuild.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <string>

#include "freshet/error.hpp"
#include "freshet/fsck.hpp"
#include "freshet/registry.hpp"
#include "registry/faulty_env.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

using testing::kWhy;
using testing::Publish;
using testing::RegistryUnit;

TEST_F(RegistryUnit, AnEvaluationIsRecordedWithTheMovesItEarned) {
  Registry r = Open();
  Publish(r);
  Publish(r, {"shadow"});
  const nlohmann::json summary = {{"rows", 500}, {"agreement", 0.97}};
  const EvaluationRecord rec = r.RecordEvaluation(
      "churn", 2, "shadow", true, "3 shadow check(s) passed", summary,
      {{"champion", std::nullopt, "the shadow run passed"}, {"fallback", 1, "the one it replaced"}},
      kWhy);
  EXPECT_GT(rec.id, 0);
  EXPECT_EQ(r.Resolve("churn", "champion").number, 2);
  EXPECT_EQ(r.Resolve("churn", "fallback").number, 1);
  const auto events = r.History("churn", "champion");
  EXPECT_EQ(events.back().reason, "the shadow run passed");
  EXPECT_EQ(events.back().command, kWhy.command);

  r.RecordEvaluation("churn", 1, "shadow", false, "check 'min_rows' failed", {}, {}, kWhy);
  const auto all = r.Evaluations("churn");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].number, 2);
  EXPECT_TRUE(all[0].passed);
  EXPECT_EQ(all[0].summary, summary);
  EXPECT_EQ(all[0].kind, "shadow");
  EXPECT_FALSE(all[0].user.empty());
  const auto of_one = r.Evaluations("churn", 1);
  ASSERT_EQ(of_one.size(), 1u);
  EXPECT_FALSE(of_one[0].passed);
  EXPECT_EQ(of_one[0].reason, "check 'min_rows' failed");
  EXPECT_TRUE(r.Evaluations("churn", 7).empty());
}

TEST_F(RegistryUnit, AnEvaluationOfAnUnknownVersionOrModelIsRefused) {
  Registry r = Open();
  Publish(r);
  EXPECT_THROW(r.RecordEvaluation("churn", 9, "shadow", true, "", {}, {}, kWhy), ConfigError);
  EXPECT_THROW(r.RecordEvaluation("fraud", 1, "shadow", true, "", {}, {}, kWhy), ConfigError);
  EXPECT_THROW(r.RecordEvaluation("churn", 1, "shadow", true, "", {}, {{"../x", {}, ""}}, kWhy),
               ConfigError);
  EXPECT_TRUE(r.Evaluations("churn").empty());
}

TEST_F(RegistryUnit, AFailedCommitRecordsNeitherTheEvaluationNorItsMoves) {
  {
    Registry r = Open();
    Publish(r);
    Publish(r, {"shadow"});
  }
  testing::FaultyEnv env;
  Registry r = Registry::Open(Root(), Registry::Mode::kReadWrite, &env);
  env.Arm(testing::FaultyEnv::Mode::kError, 1);  // the commit, RecordEvaluation's one step
  EXPECT_THROW(r.RecordEvaluation("churn", 2, "shadow", true, "", {},
                                  {{"champion", std::nullopt, "passed"}}, kWhy),
               IoError);
  EXPECT_EQ(env.log(), (std::vector<std::string>{"index: record the shadow evaluation of churn "
                                                 "v000002"}));
  EXPECT_TRUE(r.Evaluations("churn").empty());
  EXPECT_EQ(r.Resolve("churn", "champion").number, 1);
}

TEST_F(RegistryUnit, AnIndexWithoutTheTableReadsNoEvaluations) {
  {
    Registry r = Open();
    Publish(r);
  }
  // An index as an older freshet wrote it: no evaluations table.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((Root() + "/index.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE evaluations", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const Registry ro = Registry::Open(Root(), Registry::Mode::kReadOnly);
  EXPECT_TRUE(ro.Evaluations("churn").empty());
  // A writer adds it.
  Registry rw = Open();
  rw.RecordEvaluation("churn", 1, "shadow", true, "ok", {}, {}, kWhy);
  EXPECT_EQ(rw.Evaluations("churn").size(), 1u);
}

TEST_F(RegistryUnit, RebuildKeepsTheEvaluationsOfAdoptedVersions) {
  {
    Registry r = Open();
    Publish(r);
    r.RecordEvaluation("churn", 1, "shadow", true, "ok", {{"rows", 3}}, {}, kWhy);
  }
  Fsck(Root(), FsckMode::kRebuild, kWhy);
  const Registry r = Registry::Open(Root(), Registry::Mode::kReadOnly);
  const auto all = r.Evaluations("churn");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].summary, (nlohmann::json{{"rows", 3}}));
}

}  // namespace
}  // namespace freshet
