// freshet retrain: new partitions since the last version → checks → features → train → evaluate →
// publish a version.
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

int Retrain(const std::string& config_path) {
  StageTimer timer;
  timer.Start("config");
  const Config config = LoadConfig(config_path);
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
    return kExitNothingToDo;
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
      return kExitNothingToDo;
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
  std::optional<std::string> warm;
  if (config.train.warm_start && parent) warm = parent->path + "/model.pt";
  const TrainOutcome out =
      TrainModel(config, state, train, eval, device, warm, draft.FilePath("model.pt"));

  timer.Start("evaluate");
  const double auc = RocAuc(out.eval_probs, out.eval_labels);
  const double logloss = LogLoss(out.eval_probs, out.eval_labels);
  const double accuracy = Accuracy(out.eval_probs, out.eval_labels);
  double positives = 0;
  for (float y : out.eval_labels) positives += y;
  const nlohmann::json eval_json = {
      {"version", draft.ref().name},
      {"task", TaskName(config.task)},
      {"rows", out.eval_labels.size()},
      {"positive_rate", Num(positives / std::max<size_t>(out.eval_labels.size(), 1))},
      {"metrics", {{"auc", Num(auc)}, {"log_loss", Num(logloss)}, {"accuracy", Num(accuracy)}}},
      {"train", {{"final_log_loss", out.final_train_loss}, {"steps", out.steps}}},
  };

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
      {"warm_started_from", out.warm_started ? nlohmann::json(parent->name) : nlohmann::json()},
      {"created", UtcNow()},
      {"config", ConfigToJson(config)},
      {"config_hash", ConfigHash(config)},
      {"code_version", FRESHET_VERSION},
      {"runtime", RuntimeVersions()},
      {"device", device.str()},
      {"seed", config.train.seed},
      {"inputs", inputs_json},
      {"parameters", out.parameters},
      {"stage_seconds", timings},
  };
  const VersionRef v = draft.Commit(manifest);
  std::printf("published %s %s -> %s (eval rows %zu, AUC %.4f, log loss %.4f)\n",
              config.model.c_str(), v.name.c_str(), v.path.c_str(), out.eval_labels.size(), auc,
              logloss);
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
