// Tests of src/registry/publish.cc: drafts, publish, and the next writer's recovery after one that
// died.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::kWhy;
using testing::Publish;
using testing::RegistryUnit;
using testing::WriteFile;

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

// A publish of the next version of churn with `moves`, conditional on champion holding `holder`.
VersionInfo PublishMoving(Registry& r, std::vector<ChannelMove> moves,
                          std::optional<int64_t> holder, const std::string& eval = "{}") {
  ModelWriter w = r.Lock("churn");
  VersionDraft d = w.NewVersion();
  d.Write(kEvalFile, eval);
  PublishRecord rec;
  rec.change = kWhy;
  rec.moves = std::move(moves);
  rec.condition_channel = "champion";
  rec.condition_holder = holder;
  return w.Publish(d, {{"created", "2026-12-02T00:00:00Z"}}, rec);
}

TEST_F(RegistryUnit, ConditionalMovesNeedTheChannelToHoldWhatTheRunSaw) {
  Registry r = Open();
  Publish(r);  // v1 champion
  const std::vector<ChannelMove> gate_moves = {{"challenger", std::nullopt, "new", false},
                                               {"champion", std::nullopt, "gate passed", true},
                                               {"fallback", 1, "replaced", true}};
  VersionInfo v = PublishMoving(r, gate_moves, 1);
  EXPECT_EQ(r.Resolve("churn", "champion").number, 2);
  EXPECT_EQ(r.Resolve("churn", "fallback").number, 1);
  EXPECT_EQ(r.History("churn", "champion").back().reason, "gate passed");
  // The run compared with v2, but on-call rolled champion back to v1 meanwhile: only challenger.
  r.Rollback("churn", "champion", kWhy);
  std::vector<ChannelMove> again = gate_moves;
  again[2].version = 2;
  v = PublishMoving(r, again, 2);
  EXPECT_EQ(v.number, 3);
  EXPECT_EQ(r.Resolve("churn", "champion").number, 1);
  EXPECT_EQ(r.Resolve("churn", "fallback").number, 1);
  EXPECT_EQ(r.Resolve("churn", "challenger").number, 3);
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

TEST(IndexedMetrics, KeepsOnlyNumbersAndNullsOfTheModelAndTheFallback) {
  const nlohmann::json eval = {
      {"metrics", {{"auc", 0.8}, {"rows", 10}, {"name", "x"}, {"nan", nullptr}, {"per", {1, 2}}}},
      {"fallback", {{"metrics", {{"auc", 0.6}, {"note", "linear"}}}}},
      {"version", "v000001"}};
  EXPECT_EQ(IndexedMetrics(eval),
            (nlohmann::json{{"model", {{"auc", 0.8}, {"rows", 10}, {"nan", nullptr}}},
                            {"fallback", {{"auc", 0.6}}}}));
  EXPECT_EQ(IndexedMetrics({{"metrics", {{"auc", 0.5}}}}),
            (nlohmann::json{{"model", {{"auc", 0.5}}}}));
  EXPECT_EQ(IndexedMetrics({{"fallback", "none"}}), nlohmann::json::object());
}

}  // namespace
}  // namespace freshet
