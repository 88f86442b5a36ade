// Multiclass and regression metrics against hand-computed values, and TaskMetrics per task.
#include <cfloat>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {
namespace {

// Three rows, three classes. Predicted classes: 0, 2, 2; labels 0, 1, 2.
const std::vector<float> kProbs = {0.7f, 0.2f, 0.1f,  //
                                   0.1f, 0.3f, 0.6f,  //
                                   0.2f, 0.2f, 0.6f};
const std::vector<float> kLabels = {0, 1, 2};

TEST(MulticlassMetrics, HandComputed) {
  EXPECT_NEAR(MulticlassLogLoss(kProbs, 3, kLabels),
              -(std::log(double{0.7f}) + std::log(double{0.3f}) + std::log(double{0.6f})) / 3,
              1e-12);
  EXPECT_DOUBLE_EQ(MulticlassAccuracy(kProbs, 3, kLabels), 2.0 / 3.0);
  // F1 per class: class 0: tp 1 → 1; class 1: fn 1 → 0; class 2: tp 1, fp 1 → 2/3.
  EXPECT_NEAR(MacroF1(kProbs, 3, kLabels), (1.0 + 0.0 + 2.0 / 3.0) / 3.0, 1e-12);
}

TEST(MulticlassMetrics, ClassesNeverSeenAreLeftOutOfMacroF1) {
  const std::vector<float> probs = {0.9f, 0.05f, 0.05f, 0.1f, 0.8f, 0.1f};
  EXPECT_DOUBLE_EQ(MacroF1(probs, 3, {0, 1}), 1.0);
}

TEST(MulticlassMetrics, ClipsAtFloat32Epsilon) {
  EXPECT_NEAR(MulticlassLogLoss({0, 1, 0}, 3, {0}), -std::log(double{FLT_EPSILON}), 1e-12);
  EXPECT_NEAR(MulticlassLogLoss({0, 1, 0}, 3, {1}), -std::log(double{1.0f - FLT_EPSILON}), 1e-18);
}

TEST(MulticlassMetrics, ArgMaxTiesGoToTheFirstClass) {
  const std::vector<float> probs = {0.4f, 0.4f, 0.2f, 0.3f, 0.35f, 0.35f};
  EXPECT_DOUBLE_EQ(MulticlassAccuracy(probs, 3, {0, 2}), 0.5);
}

// Random [n, k] probabilities, rounded to tenths so argmax ties happen, and integer weights.
struct MulticlassData {
  std::vector<float> probs, labels, weights;
};
MulticlassData RandomMulticlass(uint32_t seed, size_t n, int64_t k) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  MulticlassData d;
  for (size_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < k; ++c) d.probs.push_back(std::round(uniform(rng) * 10) / 10);
    d.labels.push_back(static_cast<float>(rng() % k));
    d.weights.push_back(static_cast<float>(1 + rng() % 3));
  }
  return d;
}

TEST(MulticlassMetrics, WeightsEqualRepeatedRows) {
  const int64_t k = 4;
  const MulticlassData d = RandomMulticlass(17, 300, k);
  MulticlassData r;
  for (size_t i = 0; i < d.labels.size(); ++i) {
    for (int c = 0; c < static_cast<int>(d.weights[i]); ++c) {
      r.probs.insert(r.probs.end(), d.probs.begin() + i * k, d.probs.begin() + (i + 1) * k);
      r.labels.push_back(d.labels[i]);
    }
  }
  EXPECT_NEAR(MulticlassLogLoss(d.probs, k, d.labels, d.weights),
              MulticlassLogLoss(r.probs, k, r.labels), 1e-12);
  EXPECT_NEAR(MulticlassAccuracy(d.probs, k, d.labels, d.weights),
              MulticlassAccuracy(r.probs, k, r.labels), 1e-12);
  EXPECT_NEAR(MacroF1(d.probs, k, d.labels, d.weights), MacroF1(r.probs, k, r.labels), 1e-12);
}

TEST(MulticlassMetrics, MacroF1CountsClassesOfZeroWeightRows) {
  // f1_score takes its classes from y_true and y_pred whatever the weights: class 2 occurs only
  // in a row of weight 0, so it counts with F1 0.
  const std::vector<float> probs = {0.9f, 0.05f, 0.05f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f, 0.8f};
  EXPECT_DOUBLE_EQ(MacroF1(probs, 3, {0, 1, 2}, {1, 1, 0}), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(MacroF1(probs, 3, {0, 1, 2}, {1, 1, 1}), 1.0);
}

TEST(MulticlassMetrics, BadClassIdsThrow) {
  EXPECT_THROW(MulticlassAccuracy({0.5f, 0.5f}, 2, {2}), Error);
  EXPECT_THROW(MulticlassAccuracy({0.5f, 0.5f}, 2, {0.5f}), Error);
  EXPECT_THROW(MulticlassAccuracy({0.5f, 0.5f}, 2, {-1}), Error);
  EXPECT_THROW(MulticlassAccuracy({0.5f, 0.5f, 0.1f}, 2, {0}), Error);
}

TEST(MulticlassMetrics, EmptyIsNan) {
  EXPECT_TRUE(std::isnan(MulticlassLogLoss({}, 3, {})));
  EXPECT_TRUE(std::isnan(MulticlassAccuracy({}, 3, {})));
  EXPECT_TRUE(std::isnan(MacroF1({}, 3, {})));
}

TEST(RegressionMetrics, HandComputed) {
  const std::vector<float> preds = {1, 2, 4};
  const std::vector<float> labels = {1, 3, 2};
  EXPECT_NEAR(Rmse(preds, labels), std::sqrt((0 + 1 + 4) / 3.0), 1e-12);
  EXPECT_NEAR(Mae(preds, labels), 1.0, 1e-12);
  // Mean label 2: SS_tot = 1 + 1 + 0 = 2, SS_res = 5.
  EXPECT_NEAR(R2(preds, labels), 1.0 - 5.0 / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(R2(labels, labels), 1.0);
  EXPECT_TRUE(std::isnan(R2({1, 2}, {3, 3})));
  EXPECT_TRUE(std::isnan(Rmse({}, {})));
}

TEST(RegressionMetrics, Weighted) {
  const std::vector<float> preds = {1, 2, 4};
  const std::vector<float> labels = {1, 3, 2};
  const std::vector<float> w = {2, 1, 1};
  EXPECT_NEAR(Rmse(preds, labels, w), std::sqrt((0 + 1 + 4) / 4.0), 1e-12);
  EXPECT_NEAR(Mae(preds, labels, w), 3.0 / 4.0, 1e-12);
  // Weighted mean label (2 + 3 + 2) / 4 = 1.75: SS_tot = 2 * 0.5625 + 1.5625 + 0.0625 = 2.75.
  EXPECT_NEAR(R2(preds, labels, w), 1.0 - 5.0 / 2.75, 1e-12);
  // Repeating row 0 twice is the same.
  EXPECT_NEAR(R2(preds, labels, w), R2({1, 1, 2, 4}, {1, 1, 3, 2}), 1e-12);
  EXPECT_NEAR(Mape(preds, labels, w), (0 + 1.0 / 3.0 + 1.0) / 4.0, 1e-12);
}

TEST(RegressionMetrics, MapeDividesByEpsilonAtZero) {
  EXPECT_NEAR(Mape({0.5f}, {0.0f}), 0.5 / DBL_EPSILON, 1.0);
  EXPECT_NEAR(Mape({1.0f, 3.0f}, {2.0f, -2.0f}), (0.5 + 2.5) / 2, 1e-12);
  EXPECT_TRUE(std::isnan(Mape({}, {})));
  EXPECT_TRUE(std::isnan(Rmse({1}, {1}, {0})));
}

TEST(TaskMetrics, KeysPerTask) {
  const auto b = TaskMetrics(Task::kBinary, 0, {0.9f, 0.2f, 0.6f}, {1, 0, 0});
  EXPECT_DOUBLE_EQ(b["auc"].get<double>(), 1.0);
  EXPECT_TRUE(b.contains("log_loss") && b.contains("accuracy"));
  const auto m = TaskMetrics(Task::kMulticlass, 3, kProbs, kLabels);
  EXPECT_DOUBLE_EQ(m["accuracy"].get<double>(), 2.0 / 3.0);
  EXPECT_TRUE(m.contains("log_loss") && m.contains("macro_f1"));
  const auto r = TaskMetrics(Task::kRegression, 0, {1, 2}, {3, 3});
  EXPECT_DOUBLE_EQ(r["mae"].get<double>(), 1.5);
  EXPECT_TRUE(r["r2"].is_null());  // constant labels: NaN is written as null
}

TEST(TaskMetrics, EveryNameOfEveryTask) {
  const std::vector<float> bp = {0.9f, 0.2f, 0.6f, 0.4f}, by = {1, 0, 0, 1}, bw = {1, 2, 1, 1};
  const std::vector<float> rp = {1, 2, 4}, ry = {1, 3, 2};
  const MetricOptions options{0.55, 4};
  struct Case {
    Task task;
    int64_t k;
    const std::vector<float>& p;
    const std::vector<float>& y;
    std::vector<float> w;
  };
  const std::vector<Case> cases = {{Task::kBinary, 0, bp, by, bw},
                                   {Task::kMulticlass, 3, kProbs, kLabels, {1, 2, 3}},
                                   {Task::kRegression, 0, rp, ry, {2, 1, 1}}};
  const std::vector<std::vector<std::string>> names = {
      {"auc", "pr_auc", "log_loss", "brier", "accuracy", "precision", "recall", "f1", "ece"},
      {"log_loss", "accuracy", "macro_f1"},
      {"rmse", "mae", "r2", "mape"}};
  for (size_t c = 0; c < cases.size(); ++c) {
    const Case& t = cases[c];
    EXPECT_EQ(TaskMetricNames(t.task), names[c]);
    const nlohmann::json m = TaskMetrics(t.task, t.k, t.p, t.y, t.w, options);
    EXPECT_EQ(m.size(), names[c].size());
    for (const std::string& name : names[c]) {
      ASSERT_TRUE(m.contains(name)) << name;
      EXPECT_DOUBLE_EQ(m[name].get<double>(),
                       MetricValue(name, t.task, t.k, t.p, t.y, t.w, options))
          << name;
    }
    EXPECT_THROW(MetricValue("nope", t.task, t.k, t.p, t.y, t.w), std::invalid_argument);
  }
  EXPECT_THROW(MetricValue("auc", Task::kRegression, 0, rp, ry), std::invalid_argument);
  // The options reach the thresholded metrics: at 0.55, 0.9 and 0.6 are predicted positive.
  EXPECT_DOUBLE_EQ(MetricValue("accuracy", Task::kBinary, 0, bp, by, {}, options), 0.5);
  EXPECT_DOUBLE_EQ(MetricValue("accuracy", Task::kBinary, 0, bp, by, {}, {0.3, 10}), 0.75);
  EXPECT_DOUBLE_EQ(MetricValue("precision", Task::kBinary, 0, bp, by, bw, options), 0.5);
  EXPECT_DOUBLE_EQ(MetricValue("auc", Task::kBinary, 0, bp, by, bw), RocAuc(bp, by, bw));
}

TEST(TaskMetrics, NanPredictionsAreNull) {
  const auto b = TaskMetrics(Task::kBinary, 0, {0.9f, NAN}, {1, 0});
  for (const auto& item : b.items()) EXPECT_TRUE(item.value().is_null()) << item.key();
}

TEST(TaskMetrics, Direction) {
  for (const char* name :
       {"auc", "pr_auc", "accuracy", "precision", "recall", "f1", "macro_f1", "r2"}) {
    EXPECT_TRUE(HigherIsBetter(name)) << name;
  }
  for (const char* name : {"log_loss", "brier", "ece", "rmse", "mae", "mape"}) {
    EXPECT_FALSE(HigherIsBetter(name)) << name;
  }
  EXPECT_FALSE(HigherIsBetter("log_loss"));
  EXPECT_FALSE(HigherIsBetter("rmse"));
  EXPECT_FALSE(HigherIsBetter("loss"));
}

}  // namespace
}  // namespace freshet
