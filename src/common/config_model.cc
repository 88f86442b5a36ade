// The `task:`, `model_spec:`, `train:` and `predict:` sections of the config.
#include <algorithm>
#include <cmath>

#include "common/config_sections.h"
#include "freshet/error.hpp"

namespace freshet::config_detail {
namespace {

double NumberIn(Node parent, const std::string& key, double lo, double hi, bool lo_open,
                const char* what) {
  return parent.Get(key).NumberIn(lo, hi, what, lo_open);
}

void ParseSchedule(Node s, LrSchedule* out) {
  if (s.IsScalar()) {
    out->kind = s.OneOf({"constant", "step", "cosine"});
    return;
  }
  s.RequireMap();
  if (s.Has("kind")) out->kind = s.Get("kind").OneOf({"constant", "step", "cosine"});
  if (s.Has("warmup_steps")) out->warmup_steps = s.Get("warmup_steps").Integer(0, INT64_MAX);
  if (s.Has("step_epochs")) {
    out->step_epochs = static_cast<int>(s.Get("step_epochs").Integer(1, 100000));
  }
  if (s.Has("gamma")) out->gamma = NumberIn(s, "gamma", 0, 1, true, "a number in (0, 1]");
  if (s.Has("min_lr")) out->min_lr = NumberIn(s, "min_lr", 0, 1e9, false, "a number >= 0");
  s.Finish();
}

// `early_stopping: false` (off), or a mapping (on; patience defaults to 10).
void ParseEarlyStopping(Node e, EarlyStopping* out) {
  if (e.IsScalar()) {
    if (e.Bool()) e.Fail("expected false or a mapping {patience, metric, min_delta}");
    out->patience = 0;
    return;
  }
  e.RequireMap();
  if (e.Has("patience")) out->patience = static_cast<int>(e.Get("patience").Integer(1, 100000));
  if (e.Has("metric")) {
    out->metric = e.Get("metric").OneOf(
        {"auto", "loss", "log_loss", "auc", "accuracy", "macro_f1", "rmse", "mae", "r2"});
  }
  if (e.Has("min_delta"))
    out->min_delta = NumberIn(e, "min_delta", 0, 1e30, false, "a number >= 0");
  e.Finish();
}

// `fallback: true | false`, or a mapping of the solver's settings (on).
void ParseFallback(Node f, FallbackConfig* out) {
  if (f.IsScalar()) {
    out->enabled = f.Bool();
    return;
  }
  f.RequireMap();
  out->enabled = true;
  if (f.Has("enabled")) out->enabled = f.Get("enabled").Bool();
  if (f.Has("C")) out->c = NumberIn(f, "C", 0, 1e30, true, "a positive number");
  if (f.Has("alpha")) out->alpha = NumberIn(f, "alpha", 0, 1e30, false, "a number >= 0");
  if (f.Has("max_iter")) out->max_iter = f.Get("max_iter").Integer(1, 1000000);
  if (f.Has("tol")) out->tol = NumberIn(f, "tol", 0, 1e30, true, "a positive number");
  f.Finish();
}

}  // namespace

Task ParseTask(Node t) {
  const std::string s = t.OneOf({"binary", "multiclass", "regression"});
  if (s == "multiclass") return Task::kMulticlass;
  if (s == "regression") return Task::kRegression;
  return Task::kBinary;
}

void ParseModelSpec(Node m, ModelSpec* spec) {
  m.RequireMap();
  if (m.Has("kind")) spec->kind = m.Get("kind").OneOf({"linear", "mlp", "wide_deep"});
  if (m.Has("hidden")) {
    spec->hidden.clear();
    for (Node h : m.Get("hidden").Items()) spec->hidden.push_back(h.Integer(1, 1 << 20));
  }
  if (m.Has("activation")) spec->activation = m.Get("activation").OneOf({"relu", "gelu", "tanh"});
  if (m.Has("norm")) spec->norm = m.Get("norm").OneOf({"none", "layer", "batch"});
  if (m.Has("dropout")) {
    spec->dropout = m.Get("dropout").Number();
    if (spec->dropout < 0 || spec->dropout >= 1) {
      m.Child("dropout").Fail("expected a number in [0, 1)");
    }
  }
  if (m.Has("embedding_dim")) {
    Node e = m.Get("embedding_dim");
    spec->embedding_dim = e.IsScalar() && e.String() == "auto" ? 0 : e.Integer(1, 4096);
  }
  if (m.Has("embedding_dims")) {
    Node dims = m.Get("embedding_dims");
    spec->embedding_dims.clear();
    for (const auto& name : dims.Keys()) {
      spec->embedding_dims[name] = dims.Get(name).Integer(1, 4096);
    }
  }
  if (m.Has("num_classes")) spec->num_classes = m.Get("num_classes").Integer(2, 1 << 20);
  m.Finish();
}

void ParseTrain(Node t, TrainConfig* train) {
  t.RequireMap();
  const auto auto_or = [&t](const char* key, int64_t hi) -> int64_t {
    Node v = t.Get(key);
    if (v.IsScalar() && v.String() == "auto") return 0;
    return v.Integer(1, hi);
  };
  if (t.Has("epochs")) train->epochs = static_cast<int>(auto_or("epochs", 100000));
  if (t.Has("batch_size")) train->batch_size = auto_or("batch_size", int64_t{1} << 30);
  if (t.Has("min_steps")) train->min_steps = t.Get("min_steps").Integer(1, int64_t{1} << 40);
  if (t.Has("max_epochs")) {
    train->max_epochs = static_cast<int>(t.Get("max_epochs").Integer(1, 100000));
  }
  if (t.Has("lr")) {
    train->lr = t.Get("lr").Number();
    if (!(train->lr > 0)) t.Child("lr").Fail("expected a positive number");
  }
  if (t.Has("weight_decay")) {
    train->weight_decay = NumberIn(t, "weight_decay", 0, 1e9, false, "a number >= 0");
  }
  if (t.Has("optimizer")) {
    train->optimizer = t.Get("optimizer").OneOf({"sgd", "adam", "adamw", "adagrad"});
  }
  if (t.Has("momentum"))
    train->momentum = NumberIn(t, "momentum", 0, 1, false, "a number in [0, 1)");
  if (train->momentum >= 1) t.Child("momentum").Fail("expected a number in [0, 1)");
  if (t.Has("loss"))
    train->loss = t.Get("loss").OneOf({"auto", "bce", "cross_entropy", "mse", "huber"});
  if (t.Has("huber_delta")) {
    train->huber_delta = NumberIn(t, "huber_delta", 0, 1e30, true, "a positive number");
  }
  if (t.Has("weight_column")) {
    train->weight_column = t.Get("weight_column").String();
    if (train->weight_column.empty()) t.Child("weight_column").Fail("expected a column name");
  }
  if (t.Has("lr_schedule")) ParseSchedule(t.Get("lr_schedule"), &train->lr_schedule);
  if (t.Has("clip_grad_norm")) {
    train->clip_grad_norm = NumberIn(t, "clip_grad_norm", 0, 1e30, false, "a number >= 0");
  }
  const bool has_fraction = t.Has("validation_fraction");
  if (has_fraction) {
    train->validation_fraction =
        NumberIn(t, "validation_fraction", 0, 1, false, "a number in [0, 1)");
    if (train->validation_fraction >= 1) {
      t.Child("validation_fraction").Fail("expected a number in [0, 1)");
    }
  }
  // Early stopping (and with it the validation draw) is on by default with auto epochs; a fixed
  // epoch count trains that many epochs unless early stopping is configured.
  if (t.Has("early_stopping")) {
    ParseEarlyStopping(t.Get("early_stopping"), &train->early_stopping);
  } else if (train->epochs != 0 || (has_fraction && train->validation_fraction == 0)) {
    train->early_stopping.patience = 0;  // a fixed epoch count, or no validation draw asked for
  }
  const bool early = train->early_stopping.patience > 0;
  if (!has_fraction) train->validation_fraction = early ? 0.1 : 0.0;
  if (early && train->validation_fraction == 0) {
    t.Child("early_stopping")
        .Fail("needs a validation set: set train.validation_fraction above 0 (e.g. 0.1)");
  }
  if (t.Has("seed")) train->seed = t.Get("seed").Integer(0, INT64_MAX);
  if (t.Has("deterministic")) train->deterministic = t.Get("deterministic").Bool();
  if (t.Has("precision")) train->precision = t.Get("precision").OneOf({"fp32", "bf16"});
  if (t.Has("device_memory_budget_mb")) {
    train->device_memory_budget_mb =
        NumberIn(t, "device_memory_budget_mb", 0, 1e12, false, "a number of MiB >= 0");
  }
  if (t.Has("warm_start")) train->warm_start = t.Get("warm_start").Bool();
  if (t.Has("standardize_label")) train->standardize_label = t.Get("standardize_label").Bool();
  if (t.Has("fallback")) ParseFallback(t.Get("fallback"), &train->fallback);
  if (t.Has("device")) train->device = t.Get("device").String();
  t.Finish();
}

void ParsePredict(Node p, PredictConfig* predict) {
  p.RequireMap();
  if (p.Has("clamp")) {
    Node c = p.Get("clamp");
    const auto items = c.Items();
    if (items.size() != 2) c.Fail("expected [lo, hi]");
    predict->clamp = true;
    predict->clamp_lo = items[0].Number();
    predict->clamp_hi = items[1].Number();
    if (!(predict->clamp_lo <= predict->clamp_hi)) c.Fail("expected lo <= hi");
  }
  if (p.Has("use_fallback")) predict->use_fallback = p.Get("use_fallback").Bool();
  p.Finish();
}

nlohmann::json ModelSpecToJson(const ModelSpec& m) {
  return {{"kind", m.kind},
          {"hidden", m.hidden},
          {"activation", m.activation},
          {"norm", m.norm},
          {"dropout", m.dropout},
          {"embedding_dim",
           m.embedding_dim == 0 ? nlohmann::json("auto") : nlohmann::json(m.embedding_dim)},
          {"embedding_dims", m.embedding_dims},
          {"num_classes", m.num_classes == 0 ? nlohmann::json() : nlohmann::json(m.num_classes)}};
}

nlohmann::json TrainToJson(const TrainConfig& t) {
  const auto& s = t.lr_schedule;
  const auto& e = t.early_stopping;
  const auto auto_or = [](int64_t v) {
    return v == 0 ? nlohmann::json("auto") : nlohmann::json(v);
  };
  const auto& f = t.fallback;
  return {{"epochs", auto_or(t.epochs)},
          {"batch_size", auto_or(t.batch_size)},
          {"min_steps", t.min_steps},
          {"max_epochs", t.max_epochs},
          {"lr", t.lr},
          {"weight_decay", t.weight_decay},
          {"optimizer", t.optimizer},
          {"momentum", t.momentum},
          {"loss", t.loss},
          {"huber_delta", t.huber_delta},
          {"weight_column",
           t.weight_column.empty() ? nlohmann::json() : nlohmann::json(t.weight_column)},
          {"lr_schedule",
           {{"kind", s.kind},
            {"warmup_steps", s.warmup_steps},
            {"step_epochs", s.step_epochs},
            {"gamma", s.gamma},
            {"min_lr", s.min_lr}}},
          {"clip_grad_norm", t.clip_grad_norm},
          {"validation_fraction", t.validation_fraction},
          {"early_stopping", e.patience == 0 ? nlohmann::json()
                                             : nlohmann::json{{"patience", e.patience},
                                                              {"metric", e.metric},
                                                              {"min_delta", e.min_delta}}},
          {"seed", t.seed},
          {"deterministic", t.deterministic},
          {"precision", t.precision},
          {"device_memory_budget_mb", t.device_memory_budget_mb},
          {"warm_start", t.warm_start},
          {"standardize_label", t.standardize_label},
          {"fallback", f.enabled ? nlohmann::json{{"C", f.c},
                                                  {"alpha", f.alpha},
                                                  {"max_iter", f.max_iter},
                                                  {"tol", f.tol}}
                                 : nlohmann::json(false)},
          {"device", t.device}};
}

nlohmann::json PredictToJson(const PredictConfig& p) {
  return {{"clamp", p.clamp ? nlohmann::json::array({p.clamp_lo, p.clamp_hi}) : nlohmann::json()},
          {"use_fallback", p.use_fallback}};
}

}  // namespace freshet::config_detail

namespace freshet {

std::string ResolvedLoss(const TrainConfig& train, Task task) {
  if (train.loss != "auto") return train.loss;
  switch (task) {
    case Task::kBinary:
      return "bce";
    case Task::kMulticlass:
      return "cross_entropy";
    case Task::kRegression:
      return "mse";
  }
  return "bce";
}

int64_t ResolvedBatchSize(const TrainConfig& train, int64_t rows) {
  rows = std::max<int64_t>(rows, 1);
  if (train.batch_size > 0) return std::min(train.batch_size, rows);
  int64_t b = 32;
  while (b < 1024 && b * 2 <= rows / 16) b *= 2;
  return std::min(b, rows);
}

int ResolvedEpochs(const TrainConfig& train, int64_t rows) {
  if (train.epochs > 0) return train.epochs;
  const int64_t batch = ResolvedBatchSize(train, rows);
  const int64_t steps_per_epoch = (std::max<int64_t>(rows, 1) + batch - 1) / batch;
  const int64_t e = (train.min_steps + steps_per_epoch - 1) / steps_per_epoch;
  return static_cast<int>(std::clamp<int64_t>(e, 1, train.max_epochs));
}

void CheckModelConfig(const Config& config) {
  const std::string file = config.path + ": ";
  const Task task = config.task;
  const std::string task_name = TaskName(task);
  const std::string loss = ResolvedLoss(config.train, task);
  const bool loss_fits = (task == Task::kBinary && loss == "bce") ||
                         (task == Task::kMulticlass && loss == "cross_entropy") ||
                         (task == Task::kRegression && (loss == "mse" || loss == "huber"));
  if (!loss_fits) {
    throw ConfigError(file + "train.loss: " + loss + " does not fit a " + task_name +
                      " task (binary: bce; multiclass: cross_entropy; regression: mse or huber)");
  }
  if (config.model_spec.num_classes != 0 && task != Task::kMulticlass) {
    throw ConfigError(file +
                      "model_spec.num_classes: only a multiclass task has classes (task is " +
                      task_name + ")");
  }
  const std::string& metric = config.train.early_stopping.metric;
  const bool binary_only = metric == "auc";
  const bool classification = metric == "log_loss" || metric == "accuracy";
  const bool multiclass_only = metric == "macro_f1";
  const bool regression_only = metric == "rmse" || metric == "mae" || metric == "r2";
  if ((binary_only && task != Task::kBinary) || (classification && task == Task::kRegression) ||
      (multiclass_only && task != Task::kMulticlass) ||
      (regression_only && task != Task::kRegression)) {
    throw ConfigError(file + "train.early_stopping.metric: " + metric + " does not fit a " +
                      task_name + " task");
  }
  if (!config.train.weight_column.empty() && config.train.weight_column == config.data.label) {
    throw ConfigError(file + "train.weight_column: the label column cannot be the weight column");
  }
}

}  // namespace freshet
