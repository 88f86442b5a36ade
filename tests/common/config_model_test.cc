// The task, model_spec and train sections: every new key, its default, and the errors that name it.
#include <string>

#include <gtest/gtest.h>

#include "freshet/config.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

constexpr char kPath[] = "/tmp/x/cfg.yaml";

constexpr char kMinimal[] = R"(
model: m
data: {landing: data, label: y}
features:
  - {column: age, type: numeric}
  - {column: country, type: categorical, ops: [{hash: {buckets: 10}}]}
)";

Config Parse(const std::string& extra) { return ParseConfig(std::string(kMinimal) + extra, kPath); }

// The ConfigError of parsing kMinimal + `extra` and checking it with CheckModelConfig.
std::string ErrorOf(const std::string& extra) {
  try {
    CheckModelConfig(Parse(extra));
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << extra;
  return "";
}

void ExpectNames(const std::string& message, const std::string& key_path) {
  EXPECT_EQ(message.rfind(std::string(kPath) + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(key_path), std::string::npos)
      << "no \"" << key_path << "\" in " << message;
}

TEST(ConfigModel, Defaults) {
  const Config c = Parse("");
  EXPECT_EQ(c.model_spec.activation, "relu");
  EXPECT_EQ(c.model_spec.norm, "none");
  EXPECT_TRUE(c.model_spec.embedding_dims.empty());
  EXPECT_EQ(c.model_spec.num_classes, 0);
  EXPECT_EQ(c.train.loss, "auto");
  EXPECT_EQ(ResolvedLoss(c.train, Task::kBinary), "bce");
  EXPECT_EQ(ResolvedLoss(c.train, Task::kMulticlass), "cross_entropy");
  EXPECT_EQ(ResolvedLoss(c.train, Task::kRegression), "mse");
  EXPECT_EQ(c.train.lr_schedule.kind, "constant");
  EXPECT_EQ(c.train.clip_grad_norm, 0.0);
  EXPECT_EQ(c.train.validation_fraction, 0.0);
  EXPECT_EQ(c.train.early_stopping.patience, 0);
  EXPECT_FALSE(c.train.deterministic);
  EXPECT_EQ(c.train.precision, "fp32");
  EXPECT_TRUE(c.train.fallback);
  EXPECT_TRUE(c.train.weight_column.empty());
  EXPECT_NO_THROW(CheckModelConfig(c));
}

TEST(ConfigModel, ReadsEveryNewKey) {
  const Config c = Parse(R"(task: multiclass
model_spec:
  kind: wide_deep
  hidden: [32]
  activation: gelu
  norm: layer
  embedding_dims: {country: 5, plan: 3}
  num_classes: 4
train:
  optimizer: adagrad
  momentum: 0.5
  loss: cross_entropy
  weight_column: w
  lr_schedule: {kind: cosine, warmup_steps: 10, min_lr: 0.0001}
  clip_grad_norm: 1.5
  early_stopping: {patience: 2, metric: macro_f1, min_delta: 0.001}
  deterministic: true
  precision: bf16
  device_memory_budget_mb: 64
  fallback: false
)");
  EXPECT_EQ(c.task, Task::kMulticlass);
  EXPECT_EQ(c.model_spec.kind, "wide_deep");
  EXPECT_EQ(c.model_spec.activation, "gelu");
  EXPECT_EQ(c.model_spec.norm, "layer");
  EXPECT_EQ(c.model_spec.embedding_dim, 0);  // auto for wide_deep
  ASSERT_EQ(c.model_spec.embedding_dims.size(), 2u);
  EXPECT_EQ(c.model_spec.embedding_dims.at("country"), 5);
  EXPECT_EQ(c.model_spec.embedding_dims.at("plan"), 3);
  EXPECT_EQ(c.model_spec.num_classes, 4);
  EXPECT_EQ(c.train.optimizer, "adagrad");
  EXPECT_DOUBLE_EQ(c.train.momentum, 0.5);
  EXPECT_EQ(c.train.weight_column, "w");
  EXPECT_EQ(c.train.lr_schedule.kind, "cosine");
  EXPECT_EQ(c.train.lr_schedule.warmup_steps, 10);
  EXPECT_DOUBLE_EQ(c.train.lr_schedule.min_lr, 1e-4);
  EXPECT_DOUBLE_EQ(c.train.clip_grad_norm, 1.5);
  EXPECT_EQ(c.train.early_stopping.patience, 2);
  EXPECT_EQ(c.train.early_stopping.metric, "macro_f1");
  EXPECT_DOUBLE_EQ(c.train.validation_fraction, 0.1);  // implied by early stopping
  EXPECT_TRUE(c.train.deterministic);
  EXPECT_EQ(c.train.precision, "bf16");
  EXPECT_EQ(c.train.device_memory_budget_mb, 64);
  EXPECT_FALSE(c.train.fallback);
  EXPECT_NO_THROW(CheckModelConfig(c));

  const nlohmann::json j = ConfigToJson(c);
  EXPECT_EQ(j["model_spec"]["embedding_dim"], "auto");
  EXPECT_EQ(j["model_spec"]["embedding_dims"]["country"], 5);
  EXPECT_EQ(j["train"]["lr_schedule"]["kind"], "cosine");
  EXPECT_EQ(j["train"]["early_stopping"]["metric"], "macro_f1");
}

TEST(ConfigModel, ScheduleShorthandAndStepOptions) {
  EXPECT_EQ(Parse("train: {lr_schedule: cosine}\n").train.lr_schedule.kind, "cosine");
  const Config c = Parse("train: {lr_schedule: {kind: step, step_epochs: 2, gamma: 0.5}}\n");
  EXPECT_EQ(c.train.lr_schedule.step_epochs, 2);
  EXPECT_DOUBLE_EQ(c.train.lr_schedule.gamma, 0.5);
}

TEST(ConfigModel, EmbeddingDimAutoAndRegressionTask) {
  EXPECT_EQ(Parse("model_spec: {embedding_dim: auto}\n").model_spec.embedding_dim, 0);
  EXPECT_EQ(Parse("model_spec: {kind: wide_deep, embedding_dim: 4}\n").model_spec.embedding_dim, 4);
  const Config r = Parse("task: regression\ntrain: {loss: huber, huber_delta: 2}\n");
  EXPECT_EQ(r.task, Task::kRegression);
  EXPECT_DOUBLE_EQ(r.train.huber_delta, 2.0);
  EXPECT_NO_THROW(CheckModelConfig(r));
}

TEST(ConfigModelError, ParseErrorsNameTheKeyPath) {
  ExpectNames(ErrorOf("task: ranking\n"), "task: expected one of binary, multiclass, regression");
  ExpectNames(ErrorOf("model_spec: {kind: tree}\n"), "model_spec.kind: expected one of");
  ExpectNames(ErrorOf("model_spec: {activation: swish}\n"), "model_spec.activation");
  ExpectNames(ErrorOf("model_spec: {norm: group}\n"), "model_spec.norm");
  ExpectNames(ErrorOf("model_spec: {embedding_dim: big}\n"), "model_spec.embedding_dim");
  ExpectNames(ErrorOf("model_spec: {embedding_dims: {country: 0}}\n"),
              "model_spec.embedding_dims.country: expected an integer in [1, 4096]");
  ExpectNames(ErrorOf("model_spec: {embedding_dims: [4]}\n"),
              "model_spec.embedding_dims: expected a mapping");
  ExpectNames(ErrorOf("model_spec: {num_classes: 1}\n"), "model_spec.num_classes");
  ExpectNames(ErrorOf("train: {optimizer: lbfgs}\n"), "train.optimizer: expected one of");
  ExpectNames(ErrorOf("train: {momentum: 1}\n"), "train.momentum");
  ExpectNames(ErrorOf("train: {loss: hinge}\n"), "train.loss: expected one of");
  ExpectNames(ErrorOf("train: {huber_delta: 0}\n"), "train.huber_delta");
  ExpectNames(ErrorOf("train: {lr_schedule: linear}\n"), "train.lr_schedule: expected one of");
  ExpectNames(ErrorOf("train: {lr_schedule: {kind: step, gamma: 2}}\n"), "train.lr_schedule.gamma");
  ExpectNames(ErrorOf("train: {lr_schedule: {warmup: 3}}\n"),
              "train.lr_schedule.warmup: unknown key");
  ExpectNames(ErrorOf("train: {clip_grad_norm: -1}\n"), "train.clip_grad_norm");
  ExpectNames(ErrorOf("train: {validation_fraction: 1}\n"), "train.validation_fraction");
  ExpectNames(ErrorOf("train: {early_stopping: {metric: auc}}\n"),
              "train.early_stopping.patience: required key is missing");
  ExpectNames(ErrorOf("train: {early_stopping: {patience: 2}, validation_fraction: 0}\n"),
              "train.early_stopping: needs a validation set");
  ExpectNames(ErrorOf("train: {early_stopping: {patience: 2, metric: best}}\n"),
              "train.early_stopping.metric");
  ExpectNames(ErrorOf("train: {precision: fp16}\n"), "train.precision: expected one of fp32, bf16");
  ExpectNames(ErrorOf("train: {deterministic: sometimes}\n"), "train.deterministic");
  ExpectNames(ErrorOf("train: {device_memory_budget_mb: -1}\n"), "train.device_memory_budget_mb");
  ExpectNames(ErrorOf("train: {weight_column: \"\"}\n"), "train.weight_column");
}

TEST(ConfigModelError, CrossKeyChecksNameTheKeyPath) {
  ExpectNames(ErrorOf("train: {loss: mse}\n"), "train.loss: mse does not fit a binary task");
  ExpectNames(ErrorOf("task: regression\ntrain: {loss: cross_entropy}\n"),
              "train.loss: cross_entropy does not fit a regression task");
  ExpectNames(ErrorOf("task: multiclass\ntrain: {loss: bce}\n"), "train.loss");
  ExpectNames(ErrorOf("model_spec: {num_classes: 3}\n"), "model_spec.num_classes");
  ExpectNames(ErrorOf("task: regression\ntrain: {early_stopping: {patience: 1, metric: auc}}\n"),
              "train.early_stopping.metric: auc does not fit a regression task");
  ExpectNames(ErrorOf("train: {early_stopping: {patience: 1, metric: rmse}}\n"),
              "train.early_stopping.metric");
  ExpectNames(ErrorOf("train: {weight_column: y}\n"), "train.weight_column");
}

}  // namespace
}  // namespace freshet
