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
  // epochs: auto, with early stopping on a validation draw.
  EXPECT_EQ(c.train.epochs, 0);
  EXPECT_EQ(c.train.batch_size, 0);
  EXPECT_EQ(c.train.min_steps, 2000);
  EXPECT_EQ(c.train.max_epochs, 1000);
  EXPECT_EQ(c.train.validation_fraction, 0.1);
  EXPECT_EQ(c.train.early_stopping.patience, 10);
  EXPECT_FALSE(c.train.deterministic);
  EXPECT_EQ(c.train.precision, "fp32");
  EXPECT_TRUE(c.train.standardize_label);
  EXPECT_TRUE(c.train.fallback.enabled);
  EXPECT_EQ(c.train.fallback.c, 1.0);
  EXPECT_EQ(c.train.fallback.alpha, 1.0);
  EXPECT_EQ(c.train.fallback.max_iter, 100);
  EXPECT_EQ(c.train.fallback.tol, 1e-4);
  EXPECT_EQ(c.model_spec.kind, "wide_deep");
  EXPECT_EQ(c.model_spec.embedding_dim, 8);
  EXPECT_TRUE(c.train.weight_column.empty());
  EXPECT_NO_THROW(CheckModelConfig(c));
  const nlohmann::json j = ConfigToJson(c)["train"];
  EXPECT_EQ(j["epochs"], "auto");
  EXPECT_EQ(j["batch_size"], "auto");
  EXPECT_EQ(j["fallback"]["C"], 1.0);
}

TEST(ConfigModel, TrainingLengthRule) {
  const TrainConfig t = Parse("").train;
  // batch = clamp(2^floor(log2(N / 16)), 32, 1024), never above N.
  EXPECT_EQ(ResolvedBatchSize(t, 10), 10);
  EXPECT_EQ(ResolvedBatchSize(t, 100), 32);
  EXPECT_EQ(ResolvedBatchSize(t, 1024), 64);
  EXPECT_EQ(ResolvedBatchSize(t, 1300), 64);
  EXPECT_EQ(ResolvedBatchSize(t, 16384), 1024);
  EXPECT_EQ(ResolvedBatchSize(t, 100000000), 1024);
  // epochs = clamp(ceil(2000 / steps per epoch), 1, 1000).
  EXPECT_EQ(ResolvedEpochs(t, 10), 1000);      // 1 step an epoch
  EXPECT_EQ(ResolvedEpochs(t, 100), 500);      // 4 steps
  EXPECT_EQ(ResolvedEpochs(t, 300000), 7);     // 293 steps
  EXPECT_EQ(ResolvedEpochs(t, 100000000), 1);  // 97657 steps
  const TrainConfig fixed = Parse("train: {epochs: 3, batch_size: 512}\n").train;
  EXPECT_EQ(ResolvedBatchSize(fixed, 100), 100);
  EXPECT_EQ(ResolvedBatchSize(fixed, 10000), 512);
  EXPECT_EQ(ResolvedEpochs(fixed, 100), 3);
  const TrainConfig mine = Parse("train: {min_steps: 50, max_epochs: 4, batch_size: 10}\n").train;
  EXPECT_EQ(ResolvedEpochs(mine, 100), 4);
  EXPECT_EQ(ResolvedEpochs(mine, 1000), 1);
}

TEST(ConfigModel, EarlyStoppingFollowsTheEpochs) {
  // A fixed epoch count trains that many epochs, with no validation draw, unless asked.
  const TrainConfig fixed = Parse("train: {epochs: 5}\n").train;
  EXPECT_EQ(fixed.early_stopping.patience, 0);
  EXPECT_EQ(fixed.validation_fraction, 0.0);
  const TrainConfig asked = Parse("train: {epochs: 50, early_stopping: {metric: loss}}\n").train;
  EXPECT_EQ(asked.early_stopping.patience, 10);
  EXPECT_EQ(asked.validation_fraction, 0.1);
  const TrainConfig off = Parse("train: {epochs: auto, early_stopping: false}\n").train;
  EXPECT_EQ(off.epochs, 0);
  EXPECT_EQ(off.early_stopping.patience, 0);
  EXPECT_EQ(off.validation_fraction, 0.0);
  EXPECT_EQ(Parse("train: {validation_fraction: 0.3}\n").train.validation_fraction, 0.3);
  // No validation draw with auto epochs: the epoch budget alone.
  EXPECT_EQ(Parse("train: {validation_fraction: 0}\n").train.early_stopping.patience, 0);
}

TEST(ConfigModel, FallbackShorthandAndSettings) {
  EXPECT_FALSE(Parse("train: {fallback: false}\n").train.fallback.enabled);
  EXPECT_TRUE(Parse("train: {fallback: true}\n").train.fallback.enabled);
  const FallbackConfig f =
      Parse("train: {fallback: {C: 0.5, alpha: 3, max_iter: 40, tol: 1e-6}}\n").train.fallback;
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.c, 0.5);
  EXPECT_EQ(f.alpha, 3.0);
  EXPECT_EQ(f.max_iter, 40);
  EXPECT_EQ(f.tol, 1e-6);
  EXPECT_FALSE(Parse("train: {fallback: {enabled: false}}\n").train.fallback.enabled);
  EXPECT_FALSE(Parse("train: {standardize_label: false}\n").train.standardize_label);
  // Every kind has the fixed embedding width unless auto is asked for.
  EXPECT_EQ(Parse("model_spec: {kind: mlp}\n").model_spec.embedding_dim, 8);
  EXPECT_EQ(Parse("model_spec: {kind: wide_deep}\n").model_spec.embedding_dim, 8);
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
  EXPECT_EQ(c.model_spec.embedding_dim, 8);
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
  EXPECT_FALSE(c.train.fallback.enabled);
  EXPECT_NO_THROW(CheckModelConfig(c));

  const nlohmann::json j = ConfigToJson(c);
  EXPECT_EQ(j["model_spec"]["embedding_dim"], 8);
  EXPECT_EQ(
      ConfigToJson(Parse("model_spec: {embedding_dim: auto}\n"))["model_spec"]["embedding_dim"],
      "auto");
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
  ExpectNames(ErrorOf("train: {early_stopping: true}\n"),
              "train.early_stopping: expected false or a mapping");
  ExpectNames(ErrorOf("train: {epochs: many}\n"), "train.epochs: expected an integer");
  ExpectNames(ErrorOf("train: {batch_size: 0}\n"), "train.batch_size");
  ExpectNames(ErrorOf("train: {min_steps: 0}\n"), "train.min_steps");
  ExpectNames(ErrorOf("train: {max_epochs: -1}\n"), "train.max_epochs");
  ExpectNames(ErrorOf("train: {fallback: {C: 0}}\n"), "train.fallback.C: expected a positive");
  ExpectNames(ErrorOf("train: {fallback: {alpha: -1}}\n"), "train.fallback.alpha");
  ExpectNames(ErrorOf("train: {fallback: {max_iter: 0}}\n"), "train.fallback.max_iter");
  ExpectNames(ErrorOf("train: {fallback: {tol: 0}}\n"), "train.fallback.tol");
  ExpectNames(ErrorOf("train: {fallback: {solver: sag}}\n"), "train.fallback.solver");
  ExpectNames(ErrorOf("train: {fallback: maybe}\n"), "train.fallback");
  ExpectNames(ErrorOf("train: {standardize_label: 2}\n"), "train.standardize_label");
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
