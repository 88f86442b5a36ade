// EvalSummary (eval.json), its headline, and what the registry indexes of it.
#include <gtest/gtest.h>

#include <cmath>

#include "freshet/config.hpp"
#include "freshet/evaluation.hpp"
#include "freshet/registry.hpp"

namespace freshet {
namespace {

Config BinaryConfig() {
  return ParseConfig(R"(
model: churn
data: {landing: landing, label: y}
features:
  - {column: x, type: numeric}
)",
                     "/tmp/summary/churn.yaml");
}

TrainOutcome Outcome() {
  TrainOutcome out;
  out.eval_labels = {0, 0, 1, 1};
  out.main.kind = "mlp";
  out.main.eval_predictions = {0.1f, 0.4f, 0.35f, 0.8f};
  out.main.epochs = 3;
  out.main.steps = 12;
  out.main.parameters = 99;
  out.main.final_train_loss = 0.5;
  ModelResult fb;
  fb.kind = "linear";
  fb.eval_predictions = {0.2f, 0.3f, 0.6f, 0.7f};
  out.fallback = fb;
  out.precision = "fp32";
  return out;
}

TEST(EvalSummary, RecordsBothModelsAndTheLabel) {
  const nlohmann::json j = EvalSummary(BinaryConfig(), "v000007", Outcome());
  EXPECT_EQ(j["version"], "v000007");
  EXPECT_EQ(j["task"], "binary");
  EXPECT_EQ(j["rows"], 4);
  EXPECT_DOUBLE_EQ(j["positive_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["metrics"]["auc"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j["fallback"]["metrics"]["auc"].get<double>(), 1.0);
  EXPECT_EQ(j["model"]["kind"], "mlp");
  EXPECT_EQ(j["model"]["steps"], 12);
  EXPECT_EQ(j["train"]["loss"], "bce");
  EXPECT_FALSE(j["model"].contains("validation"));
}

TEST(EvalSummary, NoFallbackIsNull) {
  TrainOutcome out = Outcome();
  out.fallback.reset();
  EXPECT_TRUE(EvalSummary(BinaryConfig(), "v000001", out)["fallback"].is_null());
}

TEST(Headline, TaskMetricsAndMissingOnes) {
  EXPECT_EQ(Headline(Task::kBinary, {{"auc", 0.81234}, {"log_loss", 0.5}}),
            "AUC 0.8123, log loss 0.5000");
  EXPECT_EQ(Headline(Task::kRegression, {{"rmse", 2.0}, {"mae", 1.0}, {"r2", nullptr}}),
            "RMSE 2.0000, MAE 1.0000, R2 nan");
}

TEST(IndexedMetrics, NumbersOfTheModelAndTheFallback) {
  const nlohmann::json m = IndexedMetrics(EvalSummary(BinaryConfig(), "v000001", Outcome()));
  EXPECT_DOUBLE_EQ(m["model"]["auc"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(m["fallback"]["auc"].get<double>(), 1.0);
  for (const auto& [subject, values] : m.items()) {
    for (const auto& [k, v] : values.items()) EXPECT_TRUE(v.is_number() || v.is_null()) << k;
  }
}

}  // namespace
}  // namespace freshet
