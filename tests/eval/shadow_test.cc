// CompareShadow: agreement, flips, the score shift and the checks of gate.shadow.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "freshet/shadow.hpp"

namespace freshet {
namespace {

using Json = nlohmann::json;

Config BinaryConfig(const std::string& gate = "") {
  return ParseConfig(R"(
model: churn
data: {landing: landing, label: y}
features: [{column: x, type: numeric}]
evaluation: {bootstrap: {resamples: 50}}
)" + gate,
                     "/tmp/shadow/churn.yaml");
}

struct Logged {
  EvalRows rows;
  std::vector<float> champion, challenger;
};

// n rows; the champion's score sigmoid(2x), the challenger's the same plus `shift`; y ~ the
// champion's probability.
Logged Make(size_t n, float shift, bool labelled, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  Logged l;
  std::vector<double> x, y;
  for (size_t i = 0; i < n; ++i) {
    const double xi = normal(rng);
    const double p = 1 / (1 + std::exp(-2 * xi));
    x.push_back(xi);
    y.push_back(unif(rng) < p ? 1 : 0);
    l.champion.push_back(static_cast<float>(p));
    l.challenger.push_back(std::min(1.0f, std::max(0.0f, static_cast<float>(p) + shift)));
  }
  l.rows.name = "shadow";
  l.rows.table.columns.push_back(NumericColumn("x", DType::kF64, x));
  if (labelled) l.rows.table.columns.push_back(NumericColumn("y", DType::kF64, y));
  return l;
}

ShadowOutcome Shadow(const Config& c, const Logged& l, bool labelled) {
  return CompareShadow(c, 0, l.rows, {"challenger", "v000002", l.challenger, 1, ""},
                       {"champion", "v000001", l.champion, 1, ""}, labelled);
}

TEST(CompareShadow, IdenticalModelsAgreeAndPass) {
  const Logged l = Make(500, 0.0f, true);
  const ShadowOutcome o = Shadow(BinaryConfig(), l, true);
  EXPECT_TRUE(o.passed) << o.reason;
  EXPECT_EQ(o.summary["format"], "freshet.shadow/1");
  EXPECT_EQ(o.summary["rows"], 500);
  EXPECT_DOUBLE_EQ(o.summary["agreement"].get<double>(), 1.0);
  EXPECT_EQ(o.summary["flips"]["total"], 0);
  EXPECT_NEAR(o.summary["score_shift"]["psi"].get<double>(), 0.0, 1e-12);
  EXPECT_EQ(o.summary["evaluated_rows"], 500);
  EXPECT_DOUBLE_EQ(o.summary["evaluation"]["comparisons"]["champion"]["auc"]["delta"].get<double>(),
                   0.0);
  EXPECT_EQ(o.summary["checks"].size(), 3u);  // min_rows, finite_predictions, max_metric_drop
}

TEST(CompareShadow, FlipsAreCountedBothWays) {
  Logged l = Make(400, 0.0f, false);
  size_t up = 0, down = 0;
  for (size_t i = 0; i < l.champion.size(); ++i) {
    // Push rows near the threshold across it: those below up, every third above down.
    if (l.champion[i] >= 0.4f && l.champion[i] < 0.5f) l.challenger[i] = 0.6f, ++up;
    if (l.champion[i] >= 0.5f && l.champion[i] < 0.6f && i % 3 == 0) l.challenger[i] = 0.3f, ++down;
  }
  const ShadowOutcome o = Shadow(BinaryConfig("gate: {shadow: {max_flip_rate: 0.01}}\n"), l, false);
  EXPECT_EQ(o.summary["flips"]["to_positive"].get<size_t>(), up);
  EXPECT_EQ(o.summary["flips"]["to_negative"].get<size_t>(), down);
  EXPECT_NEAR(o.summary["flips"]["rate"].get<double>(), (up + down) / 400.0, 1e-12);
  EXPECT_FALSE(o.summary["labelled"].get<bool>());
  EXPECT_FALSE(o.summary.contains("evaluation"));
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.reason.find("check 'max_flip_rate' failed"), std::string::npos) << o.reason;
}

TEST(CompareShadow, AShiftedScoreDistributionHasAPsi) {
  const Logged l = Make(2000, 0.2f, false);
  const ShadowOutcome loose =
      Shadow(BinaryConfig("gate: {shadow: {max_score_psi: 5}}\n"), l, false);
  const double psi = loose.summary["score_shift"]["psi"].get<double>();
  EXPECT_GT(psi, 0.1);
  EXPECT_TRUE(loose.passed) << loose.reason;
  EXPECT_NEAR(loose.summary["score_shift"]["mean_challenger"].get<double>() -
                  loose.summary["score_shift"]["mean_champion"].get<double>(),
              0.17, 0.05);  // 0.2, less what the clamp to 1 takes
  const ShadowOutcome strict =
      Shadow(BinaryConfig("gate: {shadow: {max_score_psi: 0.05}}\n"), l, false);
  EXPECT_FALSE(strict.passed);
}

TEST(CompareShadow, AWorseChallengerFailsTheMetricCheck) {
  Logged l = Make(3000, 0.0f, true);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<float> unif;
  for (float& p : l.challenger) p = unif(rng);  // no signal
  const ShadowOutcome o = Shadow(BinaryConfig(), l, true);
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.reason.find("check 'max_metric_drop' failed: the upper bound of the relative "
                          "improvement of auc over the champion"),
            std::string::npos)
      << o.reason;
}

TEST(CompareShadow, NonFiniteAndTooFewRows) {
  Logged l = Make(50, 0.0f, true);
  l.challenger[3] = NAN;
  l.champion[7] = INFINITY;
  const ShadowOutcome o = Shadow(BinaryConfig(), l, true);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.summary["nonfinite"]["challenger"], 1);
  EXPECT_EQ(o.summary["nonfinite"]["champion"], 1);
  EXPECT_EQ(o.summary["evaluated_rows"], 48);  // the metrics on the rows both scored
  EXPECT_NE(o.reason.find("check 'min_rows' failed: 50 rows scored, < 100"), std::string::npos);
  EXPECT_NE(o.reason.find("check 'finite_predictions' failed"), std::string::npos);
}

TEST(CompareShadow, RowsWhoseLabelHasNotArrivedAreLeftOutOfTheMetrics) {
  Logged l = Make(300, 0.0f, true);
  for (int64_t i = 0; i < 300; i += 3) l.rows.table.columns[1].mutable_values<double>()[i] = NAN;
  const ShadowOutcome o = Shadow(BinaryConfig(), l, true);
  EXPECT_EQ(o.summary["unlabelled_rows"], 100);
  EXPECT_EQ(o.summary["evaluated_rows"], 200);
  EXPECT_EQ(o.summary["evaluation"]["rows"], 200);
  EXPECT_EQ(o.summary["rows"], 300);
  EXPECT_TRUE(o.passed) << o.reason;
}

TEST(CompareShadow, RegressionHasNoDecisions) {
  const Config c = ParseConfig(R"(
model: m
task: regression
data: {landing: landing, label: y}
features: [{column: x, type: numeric}]
)",
                               "/tmp/shadow/m.yaml");
  Logged l = Make(300, 0.5f, false);
  const ShadowOutcome o = CompareShadow(c, 0, l.rows, {"challenger", "v2", l.challenger, 1, ""},
                                        {"champion", "v1", l.champion, 1, ""}, false);
  EXPECT_TRUE(o.summary["agreement"].is_null());
  EXPECT_TRUE(o.summary["flips"].is_null());
  EXPECT_TRUE(o.summary["threshold"].is_null());
  EXPECT_GT(o.summary["score_shift"]["mean_abs_difference"].get<double>(), 0);
  EXPECT_TRUE(o.passed) << o.reason;
}

}  // namespace
}  // namespace freshet
