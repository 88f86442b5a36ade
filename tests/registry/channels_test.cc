// Tests of src/registry/channels.cc: channel moves and rollback, and runs.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "freshet/error.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

using testing::kWhy;
using testing::MessageOf;
using testing::Publish;
using testing::RegistryUnit;

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

TEST_F(RegistryUnit, PromoteCreatesChannelsAndRecordsThePreviousHolder) {
  Registry r = Open();
  Publish(r);
  Publish(r, {});
  std::optional<Event> e = r.Promote("churn", "2", "canary", kWhy);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "promote");
  EXPECT_EQ(e->channel, "canary");
  EXPECT_EQ(e->version, std::optional<int64_t>(2));
  EXPECT_FALSE(e->previous);
  e = r.Promote("churn", "latest", "champion", kWhy);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->previous, std::optional<int64_t>(1));
  EXPECT_EQ(r.Holder("churn", "champion")->number, 2);
  EXPECT_FALSE(r.Holder("churn", "shadow"));
  const auto channels = r.Channels("churn");
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0].name, "canary");
  EXPECT_EQ(channels[1].name, "champion");
  EXPECT_EQ(channels[1].number, 2);
  EXPECT_EQ(r.History("churn", "canary").size(), 1u);
  EXPECT_EQ(r.History("churn", "champion").size(), 2u);
  EXPECT_THROW(r.Promote("churn", "1", "bad name", kWhy), ConfigError);
  EXPECT_THROW(r.Promote("churn", "9", "canary", kWhy), ConfigError);
  EXPECT_EQ(r.Holder("churn", "canary")->number, 2);  // a refused move changes nothing
}

TEST_F(RegistryUnit, PinAndUnpinAreRecordedAsEvents) {
  Registry r = Open();
  Publish(r);
  r.Pin("churn", "1", {"freshet registry pin", "keep for the audit"});
  EXPECT_TRUE(r.Versions("churn")[0].pinned);
  EXPECT_EQ(r.Versions("churn")[0].pin_reason, "keep for the audit");
  Event e = r.History("churn").back();
  EXPECT_EQ(e.kind, "pin");
  EXPECT_EQ(e.version, std::optional<int64_t>(1));
  EXPECT_EQ(e.reason, "keep for the audit");
  r.Unpin("churn", "champion", kWhy);
  EXPECT_FALSE(r.Versions("churn")[0].pinned);
  EXPECT_EQ(r.Versions("churn")[0].pin_reason, "");
  EXPECT_EQ(r.History("churn").back().kind, "unpin");
  EXPECT_THROW(r.Pin("churn", "5", kWhy), ConfigError);
}

TEST_F(RegistryUnit, RunsAreListedNewestFirstUpToTheLimit) {
  Registry r = Open();
  const int64_t first = r.BeginRun("churn", "freshet retrain -c a.yaml");
  const int64_t second = r.BeginRun("churn", "freshet retrain -c b.yaml");
  r.BeginRun("fraud", "freshet retrain -c f.yaml");
  r.EndRun(first, 0, "published", 4, {});
  const auto runs = r.Runs("churn");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, second);
  EXPECT_EQ(runs[1].id, first);
  EXPECT_EQ(runs[1].version, std::optional<int64_t>(4));
  EXPECT_EQ(runs[1].exit_code, std::optional<int>(0));
  EXPECT_FALSE(runs[0].exit_code);
  EXPECT_GT(runs[0].pid, 0);
  EXPECT_FALSE(runs[0].user.empty());
  ASSERT_EQ(r.Runs("churn", 1).size(), 1u);
  EXPECT_EQ(r.Runs("churn", 1)[0].id, second);
  EXPECT_THROW(r.BeginRun("a/b", "x"), ConfigError);
}

}  // namespace
}  // namespace freshet
