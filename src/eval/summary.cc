#include <algorithm>
#include <cmath>

#include "freshet/evaluation.hpp"
#include "freshet/log.hpp"
#include "freshet/metrics.hpp"

namespace freshet {
namespace {

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json ModelJson(const ModelResult& r, const nlohmann::json& metrics) {
  nlohmann::json j = {{"kind", r.kind},
                      {"metrics", metrics},
                      {"parameters", r.parameters},
                      {"warm_started", r.warm_started},
                      {"init", r.init},
                      {"epochs", r.epochs},
                      {"steps", r.steps},
                      {"final_train_loss", Num(r.final_train_loss)},
                      {"history", r.history}};
  if (!r.solver.is_null()) j["solver"] = r.solver;
  if (!r.validation_metric.empty()) {
    j["validation"] = {{"metric", r.validation_metric},
                       {"early_stopped", r.early_stopped},
                       {"best_epoch", r.best_epoch},
                       {"best", Num(r.best_validation)}};
    if (!r.start_check.is_null()) j["validation"]["start_check"] = r.start_check;
  }
  return j;
}

}  // namespace

nlohmann::json LabelSummary(Task task, int64_t num_classes, const std::vector<float>& labels) {
  const double n = static_cast<double>(std::max<size_t>(labels.size(), 1));
  if (task == Task::kMulticlass) {
    std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
    for (float y : labels) {
      const size_t c = static_cast<size_t>(std::max(0.0f, y));
      if (c >= counts.size()) counts.resize(c + 1, 0);
      counts[c] += 1;
    }
    return {{"class_counts", counts}};
  }
  double sum = 0, sq = 0;
  for (float y : labels) sum += y, sq += static_cast<double>(y) * y;
  if (task == Task::kBinary) return {{"positive_rate", Num(sum / n)}};
  const double mean = sum / n;
  return {{"mean", Num(mean)}, {"stddev", Num(std::sqrt(std::max(0.0, sq / n - mean * mean)))}};
}

nlohmann::json EvalSummary(const Config& config, const std::string& version,
                           const TrainOutcome& out, const nlohmann::json& evaluation) {
  const Task task = config.task;
  const nlohmann::json metrics =
      TaskMetrics(task, out.num_classes, out.main.eval_predictions, out.eval_labels);
  nlohmann::json j = {
      {"version", version},
      {"task", TaskName(task)},
      {"rows", out.eval_labels.size()},
      {"label", LabelSummary(task, out.num_classes, out.eval_labels)},
      {"metrics", metrics},
      {"model", ModelJson(out.main, metrics)},
      {"fallback", nullptr},
      {"train",
       {{"loss", ResolvedLoss(config.train, task)},
        {"final_loss", Num(out.main.final_train_loss)},
        {"steps", out.main.steps},
        {"epochs", out.main.epochs},
        {"batch_size", out.batch_size},
        {"max_epochs", out.max_epochs},
        {"validation_rows", out.validation_rows},
        {"features_resident", out.resident},
        {"precision", out.precision}}},
  };
  if (task == Task::kBinary) j["positive_rate"] = j["label"]["positive_rate"];
  if (task == Task::kMulticlass) j["num_classes"] = out.num_classes;
  if (out.fallback) {
    j["fallback"] = ModelJson(
        *out.fallback,
        TaskMetrics(task, out.num_classes, out.fallback->eval_predictions, out.eval_labels));
  }
  if (evaluation.is_object()) {
    j["format"] = kEvalFormat;
    j["model_name"] = config.model;
    j["created"] = UtcNow();
    j["primary_metric"] = config.evaluation.primary_metric;
    j["threshold"] = config.evaluation.threshold;
    j["weight_column"] = config.train.weight_column.empty()
                             ? nlohmann::json()
                             : nlohmann::json(config.train.weight_column);
    for (const auto& set : evaluation.value("sets", nlohmann::json::array())) {
      if (set.value("name", "") != config.evaluation.primary_set) continue;
      const auto& models = set["models"];
      const auto metrics_of = [&](const char* role) {
        return models.contains(role) && models[role].contains("metrics") ? models[role]["metrics"]
                                                                         : nlohmann::json();
      };
      j["rows"] = set["rows"];
      if (set.contains("label")) {
        j["label"] = set["label"];
        if (task == Task::kBinary)
          j["positive_rate"] = set["label"].value("positive_rate", nlohmann::json());
      }
      j["metrics"] = metrics_of("challenger");
      j["model"]["metrics"] = j["metrics"];
      if (out.fallback) j["fallback"]["metrics"] = metrics_of("fallback");
    }
    j["evaluation"] = evaluation;
  }
  return j;
}

std::string Headline(Task task, const nlohmann::json& m) {
  const auto v = [&m](const char* k) {
    return m.contains(k) && m[k].is_number() ? m[k].get<double>() : NAN;
  };
  switch (task) {
    case Task::kMulticlass:
      return Format("accuracy %.4f, log loss %.4f, macro F1 %.4f", v("accuracy"), v("log_loss"),
                    v("macro_f1"));
    case Task::kRegression:
      return Format("RMSE %.4f, MAE %.4f, R2 %.4f", v("rmse"), v("mae"), v("r2"));
    case Task::kBinary:
      break;
  }
  return Format("AUC %.4f, log loss %.4f", v("auc"), v("log_loss"));
}

}  // namespace freshet
