// A task's result.json and outcome.json, and picking the winner among the tasks.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "freshet/comparison.hpp"
#include "freshet/submit.hpp"

namespace freshet {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Non-finite numbers are written as null (JSON has no NaN) and read back as NaN.
nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
double NumOf(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : kNaN; }

nlohmann::json Floats(const std::vector<float>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (float x : v) a.push_back(Num(x));
  return a;
}
std::vector<float> FloatsOf(const nlohmann::json& a) {
  std::vector<float> v;
  v.reserve(a.size());
  for (const auto& x : a) v.push_back(static_cast<float>(NumOf(x)));
  return v;
}

nlohmann::json ResultToJson(const ModelResult& m) {
  return {{"kind", m.kind},
          {"eval_predictions", Floats(m.eval_predictions)},
          {"final_train_loss", Num(m.final_train_loss)},
          {"steps", m.steps},
          {"epochs", m.epochs},
          {"parameters", m.parameters},
          {"warm_started", m.warm_started},
          {"init", m.init},
          {"solver", m.solver},
          {"early_stopped", m.early_stopped},
          {"best_epoch", m.best_epoch},
          {"validation_metric", m.validation_metric},
          {"best_validation", Num(m.best_validation)},
          {"start_check", m.start_check},
          {"history", m.history}};
}

ModelResult ResultFromJson(const nlohmann::json& j) {
  ModelResult m;
  m.kind = j.at("kind").get<std::string>();
  m.eval_predictions = FloatsOf(j.at("eval_predictions"));
  m.final_train_loss = NumOf(j.at("final_train_loss"));
  m.steps = j.at("steps").get<int64_t>();
  m.epochs = j.at("epochs").get<int64_t>();
  m.parameters = j.at("parameters").get<int64_t>();
  m.warm_started = j.at("warm_started").get<bool>();
  m.init = j.at("init").get<std::string>();
  m.solver = j.at("solver");
  m.early_stopped = j.at("early_stopped").get<bool>();
  m.best_epoch = j.at("best_epoch").get<int64_t>();
  m.validation_metric = j.at("validation_metric").get<std::string>();
  m.best_validation = NumOf(j.at("best_validation"));
  m.start_check = j.at("start_check");
  m.history = j.at("history");
  return m;
}

}  // namespace

nlohmann::json TrialResultToJson(const TrialResult& r) {
  return {{"index", r.index},
          {"status", r.status},
          {"exit_code", r.exit_code},
          {"reason", r.reason},
          {"overrides", r.overrides},
          {"fold", r.fold >= 0 ? nlohmann::json(r.fold) : nlohmann::json()},
          {"metrics", r.metrics},
          {"fold_metrics", r.fold_metrics},
          {"warm_start_from",
           r.warm_start_from ? nlohmann::json(*r.warm_start_from) : nlohmann::json()},
          {"seconds", r.seconds},
          {"host", r.host},
          {"slurm_job", r.slurm_job},
          {"ranks", r.ranks}};
}

TrialResult TrialResultFromJson(const nlohmann::json& j) {
  TrialResult r;
  r.index = j.at("index").get<int64_t>();
  r.status = j.at("status").get<std::string>();
  r.exit_code = j.value("exit_code", 0);
  r.reason = j.value("reason", "");
  r.overrides = j.value("overrides", nlohmann::json::object());
  r.fold = j.at("fold").is_number() ? j.at("fold").get<int64_t>() : -1;
  r.metrics = j.value("metrics", nlohmann::json());
  r.fold_metrics = j.value("fold_metrics", nlohmann::json());
  if (j.contains("warm_start_from") && j["warm_start_from"].is_string()) {
    r.warm_start_from = j["warm_start_from"].get<std::string>();
  }
  r.seconds = j.value("seconds", 0.0);
  r.host = j.value("host", "");
  r.slurm_job = j.value("slurm_job", "");
  r.ranks = j.value("ranks", 1);
  return r;
}

nlohmann::json OutcomeToJson(const TrainOutcome& out) {
  return {{"main", ResultToJson(out.main)},
          {"fallback", out.fallback ? ResultToJson(*out.fallback) : nlohmann::json()},
          {"eval_labels", Floats(out.eval_labels)},
          {"num_classes", out.num_classes},
          {"validation_rows", out.validation_rows},
          {"batch_size", out.batch_size},
          {"max_epochs", out.max_epochs},
          {"resident", out.resident},
          {"precision", out.precision},
          {"timings", out.timings}};
}

TrainOutcome OutcomeFromJson(const nlohmann::json& j) {
  TrainOutcome out;
  out.main = ResultFromJson(j.at("main"));
  if (!j.at("fallback").is_null()) out.fallback = ResultFromJson(j.at("fallback"));
  out.eval_labels = FloatsOf(j.at("eval_labels"));
  out.num_classes = j.at("num_classes").get<int64_t>();
  out.validation_rows = j.at("validation_rows").get<int64_t>();
  out.batch_size = j.at("batch_size").get<int64_t>();
  out.max_epochs = j.at("max_epochs").get<int64_t>();
  out.resident = j.at("resident").get<bool>();
  out.precision = j.at("precision").get<std::string>();
  out.timings = j.at("timings");
  return out;
}

std::optional<size_t> PickWinner(const std::vector<TrialResult>& results, const std::string& metric,
                                 bool higher_is_better) {
  std::optional<size_t> best;
  double best_value = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const nlohmann::json& m = results[i].metrics;
    if (!m.is_object() || !m.contains(metric) || !m[metric].is_number()) continue;
    const double v = m[metric].get<double>();
    if (!std::isfinite(v)) continue;
    if (!best || (higher_is_better ? v > best_value : v < best_value)) {
      best = i;
      best_value = v;
    }
  }
  return best;
}

nlohmann::json TrialsJson(const SubmitPlan& plan, const std::vector<TrialResult>& results,
                          size_t winner, const std::string& metric) {
  nlohmann::json tasks = nlohmann::json::array();
  std::vector<nlohmann::json> runs, fold_runs;
  for (const auto& r : results) {
    nlohmann::json t = TrialResultToJson(r);
    t["winner"] = r.index == results[winner].index;
    tasks.push_back(std::move(t));
    runs.push_back(r.metrics);
    if (r.fold_metrics.is_object()) fold_runs.push_back(r.fold_metrics);
  }
  nlohmann::json j = {{"submission", plan.id},
                      {"mode", SubmitModeName(plan.mode)},
                      {"tasks_total", plan.tasks.size()},
                      {"metric", metric},
                      {"winner", results[winner].index},
                      {"tasks", tasks},
                      {"latest", nullptr},
                      {"cross_validation", nullptr}};
  if (plan.mode == SubmitMode::kFolds) j["folds"] = plan.folds;
  // The spread over tasks is evidence of variance for folds and seeds; a sweep's tasks differ by
  // design, so their spread is not reported.
  if (plan.mode != SubmitMode::kSweep) j["latest"] = VarianceSummary(runs);
  if (!fold_runs.empty()) j["cross_validation"] = VarianceSummary(fold_runs);
  return j;
}

}  // namespace freshet
