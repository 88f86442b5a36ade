// Multiclass and regression metrics against hand-computed values, and TaskMetrics per task.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

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
              -(std::log(0.7) + std::log(0.3) + std::log(0.6)) / 3, 1e-6);
  EXPECT_DOUBLE_EQ(MulticlassAccuracy(kProbs, 3, kLabels), 2.0 / 3.0);
  // F1 per class: class 0: tp 1 → 1; class 1: fn 1 → 0; class 2: tp 1, fp 1 → 2/3.
  EXPECT_NEAR(MacroF1(kProbs, 3, kLabels), (1.0 + 0.0 + 2.0 / 3.0) / 3.0, 1e-12);
}

TEST(MulticlassMetrics, ClassesNeverSeenAreLeftOutOfMacroF1) {
  const std::vector<float> probs = {0.9f, 0.05f, 0.05f, 0.1f, 0.8f, 0.1f};
  EXPECT_DOUBLE_EQ(MacroF1(probs, 3, {0, 1}), 1.0);
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

TEST(TaskMetrics, Direction) {
  EXPECT_TRUE(HigherIsBetter("auc"));
  EXPECT_TRUE(HigherIsBetter("r2"));
  EXPECT_FALSE(HigherIsBetter("log_loss"));
  EXPECT_FALSE(HigherIsBetter("rmse"));
  EXPECT_FALSE(HigherIsBetter("loss"));
}

}  // namespace
}  // namespace freshet
