// freshet predict: a published version scores the rows of a file; predictions go to HDF5 or CSV.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"
#include "freshet/registry.hpp"
#include "freshet/trainer.hpp"

namespace freshet::cli {
namespace {

namespace fs = std::filesystem;

struct PredictArgs {
  std::string config, channel = "champion", version, input, output, device;
  bool with_features = false;
};

template <typename T>
Column MakeColumn(const std::string& name, DType dtype, const std::vector<T>& values, int64_t rows,
                  int64_t stride, int64_t offset) {
  Column c;
  c.name = name;
  c.dtype = dtype;
  c.rows = rows;
  c.data.resize(static_cast<size_t>(rows) * sizeof(T));
  T* out = reinterpret_cast<T*>(c.data.data());
  for (int64_t i = 0; i < rows; ++i) out[i] = values[static_cast<size_t>(i * stride + offset)];
  return c;
}

Table OutputTable(const Prediction& p, const FeatureState& state, bool with_features) {
  Table t;
  switch (p.task) {
    case Task::kBinary:
      t.columns.push_back(MakeColumn("score", DType::kF32, p.values, p.rows, 1, 0));
      break;
    case Task::kRegression:
      t.columns.push_back(MakeColumn("prediction", DType::kF32, p.values, p.rows, 1, 0));
      break;
    case Task::kMulticlass:
      t.columns.push_back(MakeColumn("class", DType::kI64, p.classes, p.rows, 1, 0));
      for (int64_t k = 0; k < p.outputs; ++k) {
        t.columns.push_back(
            MakeColumn("prob_" + std::to_string(k), DType::kF32, p.values, p.rows, p.outputs, k));
      }
      break;
  }
  if (with_features) {
    const auto dense = state.dense_names();
    const auto cats = state.categorical_names();
    const int64_t d = static_cast<int64_t>(dense.size()), c = static_cast<int64_t>(cats.size());
    for (int64_t j = 0; j < d; ++j) {
      t.columns.push_back(MakeColumn("dense." + dense[j], DType::kF32, p.dense, p.rows, d, j));
    }
    for (int64_t j = 0; j < c; ++j) {
      t.columns.push_back(MakeColumn("cat." + cats[j], DType::kI64, p.cats, p.rows, c, j));
    }
  }
  return t;
}

int Predict(const PredictArgs& args) {
  const std::string ext = fs::path(args.output).extension().string();
  if (ext != ".csv" && ext != ".h5" && ext != ".hdf5" && ext != ".hdf") {
    throw ConfigError("--output: " + args.output + ": expected a .h5, .hdf5, .hdf or .csv file");
  }
  const Config config = LoadConfig(args.config);
  // Read without the model's lock, so scoring never waits for a retrain.
  const Registry registry = Registry::Open(config.registry, Registry::Mode::kReadOnly);
  if (args.version.empty()) CheckName("channel", args.channel);
  const VersionInfo v =
      registry.Resolve(config.model, args.version.empty() ? args.channel : args.version);
  const std::string& version = v.name;
  const auto artifacts = registry.Artifacts(v);
  const FeatureState state = registry.LoadFeatureState(v);
  const Device device = ResolveDevice(args.device.empty() ? config.train.device : args.device);
  const Table input = ReadPartition(args.input, StateColumns(state), config.data.hdf5_group);
  const Prediction p =
      PredictVersion(*artifacts, state, input, device, config.predict, args.with_features);

  if (p.main_failed) {
    spdlog::warn("{} {}: the main model failed ({}); every row was scored by the fallback model",
                 config.model, version, p.main_error);
  }
  const int64_t guarded = p.main_failed ? p.rows : p.fallback_rows + p.clamped_rows;
  spdlog::info("{} {} scored {} rows; guarded rows: {} ({} non-finite → fallback, {} clamped{})",
               config.model, version, p.rows, guarded, p.main_failed ? p.rows : p.fallback_rows,
               p.clamped_rows, p.main_failed ? ", main model failed" : "");
  if (p.nonfinite_rows > 0) {
    spdlog::warn("{} rows have a non-finite prediction that no fallback could replace",
                 p.nonfinite_rows);
  }
  const Table out = OutputTable(p, state, args.with_features);
  WriteTable(args.output, out);
  std::printf("wrote %lld predictions of %s %s to %s (guarded rows: %lld)\n",
              static_cast<long long>(p.rows), config.model.c_str(), version.c_str(),
              args.output.c_str(), static_cast<long long>(guarded));
  return kExitPublished;
}

}  // namespace

void AddPredict(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Score the rows of a file with a published version: its saved features and model, with the "
      "fallback model for rows the main model cannot score. Output columns: binary `score` = "
      "P(1); multiclass `class` and `prob_<k>`; regression `prediction`.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config")->required();
  auto* channel =
      cmd->add_option("--channel", args->channel, "Score with the version this channel holds")
          ->capture_default_str();
  cmd->add_option("--version", args->version,
                  "Score with this version instead: a number (3 or v000003), \"latest\" or a "
                  "channel name")
      ->excludes(channel);
  cmd->add_option("--input", args->input, "Rows to score: .h5/.hdf5/.hdf or .csv")->required();
  cmd->add_option("--output", args->output, "Predictions: .h5/.hdf5/.hdf or .csv")->required();
  cmd->add_option("--device", args->device, "auto, cpu, cuda or cuda:N (default: train.device)");
  cmd->add_flag("--with-features", args->with_features,
                "Also write the transformed features: `dense.<name>` and `cat.<name>` columns");
  cmd->callback([args, exit_code] { *exit_code = Predict(*args); });
}

}  // namespace freshet::cli
