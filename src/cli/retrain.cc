// freshet retrain: new partitions since the last version → checks → features → train → evaluate →
// publish a version.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"
#include "freshet/log.hpp"
#include "freshet/metrics.hpp"
#include "freshet/registry.hpp"
#include "freshet/trainer.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {
namespace {

namespace fs = std::filesystem;

struct Input {
  std::string path;
  std::string role;  // train | eval
  std::string sha256;
  int64_t rows = 0;
};

// True when the previous version was trained and evaluated on exactly these inputs.
bool SameInputs(const nlohmann::json& manifest, const std::vector<Input>& inputs) {
  const auto& prev = manifest.value("inputs", nlohmann::json::array());
  if (prev.size() != inputs.size()) return false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (prev[i].value("path", "") != inputs[i].path ||
        prev[i].value("sha256", "") != inputs[i].sha256 ||
        prev[i].value("role", "") != inputs[i].role) {
      return false;
    }
  }
  return true;
}

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// What eval.json says of one model.
nlohmann::json ModelJson(const ModelResult& r, const nlohmann::json& metrics) {
  nlohmann::json j = {{"kind", r.kind},
                      {"metrics", metrics},
                      {"parameters", r.parameters},
                      {"warm_started", r.warm_started},
                      {"epochs", r.epochs},
                      {"steps", r.steps},
                      {"final_train_loss", Num(r.final_train_loss)},
                      {"history", r.history}};
  if (!r.validation_metric.empty()) {
    j["validation"] = {{"metric", r.validation_metric},
                       {"early_stopped", r.early_stopped},
                       {"best_epoch", r.best_epoch},
                       {"best", Num(r.best_validation)}};
  }
  return j;
}

// Label statistics of the eval rows: positive rate, class counts or mean and spread.
nlohmann::json LabelJson(Task task, int64_t num_classes, const std::vector<float>& labels) {
  const double n = static_cast<double>(std::max<size_t>(labels.size(), 1));
  if (task == Task::kMulticlass) {
    std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
    for (float y : labels) counts[static_cast<size_t>(y)] += 1;
    return {{"class_counts", counts}};
  }
  double sum = 0, sq = 0;
  for (float y : labels) sum += y, sq += static_cast<double>(y) * y;
  if (task == Task::kBinary) return {{"positive_rate", Num(sum / n)}};
  const double mean = sum / n;
  return {{"mean", Num(mean)}, {"stddev", Num(std::sqrt(std::max(0.0, sq / n - mean * mean)))}};
}

// "AUC 0.8123, log loss 0.4321" and the like: the task's headline metrics.
std::string Headline(Task task, const nlohmann::json& m) {
  const auto v = [&m](const char* k) { return m[k].is_number() ? m[k].get<double>() : NAN; };
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

int Retrain(const std::string& config_path) {
  StageTimer timer;
  timer.Start("config");
  const Config config = LoadConfig(config_path);
  CheckModelConfig(config);
  const Device device = ResolveDevice(config.train.device);
  spdlog::info("model {} ({}), device {}", config.model, TaskName(config.task), device.str());
  Registry registry = Registry::Open(config.registry, config.model);

  timer.Start("discover");
  const auto files = DiscoverPartitions(config.data.landing, config.data.pattern);
  const size_t need = static_cast<size_t>(config.data.eval_window) + 1;
  if (files.size() < need) {
    spdlog::warn(
        "nothing to do: {} partition(s) matching {} in {}; a run needs at least {} ({} to "
        "evaluate on and 1 to train on)",
        files.size(), config.data.pattern, config.data.landing, need, config.data.eval_window);
    return kExitNoNewData;
  }
  const size_t window = std::min(
      files.size(), static_cast<size_t>(config.data.train_window + config.data.eval_window));
  std::vector<Input> inputs;
  for (size_t i = files.size() - window; i < files.size(); ++i) {
    Input in;
    in.path = files[i];
    in.role = i + config.data.eval_window >= files.size() ? "eval" : "train";
    in.sha256 = Sha256File(files[i]);
    inputs.push_back(in);
  }
  const auto parent = registry.Latest();
  std::optional<nlohmann::json> parent_manifest;
  if (parent) {
    parent_manifest = registry.Manifest(*parent);
    if (SameInputs(*parent_manifest, inputs)) {
      spdlog::info("nothing to do: {} {} was trained on the same {} partition(s)", config.model,
                   parent->name, inputs.size());
      return kExitNoNewData;
    }
  }

  timer.Start("ingest");
  Table train, eval;
  const auto columns = config.Columns();
  for (auto& in : inputs) {
    Table t = ReadPartition(in.path, columns, config.data.hdf5_group);
    CheckPartition(t, config, in.path);
    in.rows = t.rows();
    spdlog::info("read {} ({} rows, {})", fs::path(in.path).filename().string(), in.rows, in.role);
    (in.role == "eval" ? eval : train).Append(t);
  }
  if (train.rows() == 0)
    throw DataError(config.data.landing + ": the training partitions hold no rows");
  if (eval.rows() == 0)
    throw DataError(config.data.landing + ": the evaluation partitions hold no rows");

  timer.Start("fit_features");
  std::optional<FeatureState> previous;
  if (parent) {
    VerifyArtifact(parent->path, "features.json", *parent_manifest);
    const std::string path = parent->path + "/features.json";
    std::ifstream in(path);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw IoError(path + ": cannot read the previous feature state: " + e.what());
    }
    previous = FeatureState::FromJson(j, path);
  }
  const FeatureState state = FitFeatures(train, config.features, previous ? &*previous : nullptr);

  timer.Start("train");
  VersionDraft draft = registry.NewVersion();
  TrainOptions options;
  if (config.train.warm_start && parent) {
    options.warm_start_from = parent->path;
    options.warm_start_manifest = *parent_manifest;
  }
  options.out_dir = fs::path(draft.FilePath("model.pt")).parent_path().string();
  const TrainOutcome out = TrainModel(config, state, train, eval, device, options);

  timer.Start("evaluate");
  const Task task = config.task;
  const nlohmann::json metrics =
      TaskMetrics(task, out.num_classes, out.main.eval_predictions, out.eval_labels);
  nlohmann::json eval_json = {
      {"version", draft.ref().name},
      {"task", TaskName(task)},
      {"rows", out.eval_labels.size()},
      {"label", LabelJson(task, out.num_classes, out.eval_labels)},
      {"metrics", metrics},
      {"model", ModelJson(out.main, metrics)},
      {"fallback", nullptr},
      {"train",
       {{"loss", ResolvedLoss(config.train, task)},
        {"final_loss", Num(out.main.final_train_loss)},
        {"steps", out.main.steps},
        {"epochs", out.main.epochs},
        {"validation_rows", out.validation_rows},
        {"features_resident", out.resident},
        {"precision", out.precision}}},
  };
  if (task == Task::kBinary) eval_json["positive_rate"] = eval_json["label"]["positive_rate"];
  if (task == Task::kMulticlass) eval_json["num_classes"] = out.num_classes;
  if (out.fallback) {
    eval_json["fallback"] = ModelJson(
        *out.fallback,
        TaskMetrics(task, out.num_classes, out.fallback->eval_predictions, out.eval_labels));
  }

  timer.Start("publish");
  draft.WriteJson("features.json", state.ToJson());
  draft.WriteJson("eval.json", eval_json);
  nlohmann::json inputs_json = nlohmann::json::array();
  for (const auto& in : inputs) {
    inputs_json.push_back(
        {{"path", in.path}, {"role", in.role}, {"rows", in.rows}, {"sha256", in.sha256}});
  }
  timer.Stop();
  nlohmann::json timings = timer.timings();
  for (auto& [k, v] : out.timings.items()) timings["train." + k] = v;
  nlohmann::json manifest = {
      {"format", "freshet.manifest/1"},
      {"model", config.model},
      {"version", draft.ref().name},
      {"parent", parent ? nlohmann::json(parent->name) : nlohmann::json()},
      {"warm_started_from",
       out.main.warm_started ? nlohmann::json(parent->name) : nlohmann::json()},
      {"created", UtcNow()},
      {"config", ConfigToJson(config)},
      {"config_hash", ConfigHash(config)},
      {"code_version", FRESHET_VERSION},
      {"runtime", RuntimeVersions()},
      {"device", device.str()},
      {"seed", config.train.seed},
      {"inputs", inputs_json},
      {"parameters", out.main.parameters},
      {"stage_seconds", timings},
  };
  const VersionRef v = draft.Commit(manifest);
  std::printf("published %s %s -> %s (eval rows %zu, %s)\n", config.model.c_str(), v.name.c_str(),
              v.path.c_str(), out.eval_labels.size(), Headline(task, metrics).c_str());
  return kExitPublished;
}

}  // namespace

void AddRetrain(CLI::App& app, int* exit_code) {
  auto config = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "retrain",
      "Train on the newest partitions, evaluate on the newest held-out one(s), and publish a new "
      "version to the registry. Exit 0 published, 3 no new data, 5 input refused, 6 locked.");
  cmd->add_option("-c,--config", *config, "The model's YAML config")->required();
  cmd->callback([config, exit_code] { *exit_code = Retrain(*config); });
}

}  // namespace freshet::cli
