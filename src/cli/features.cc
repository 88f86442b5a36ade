// freshet features fit|transform: the feature stage on its own, to inspect what a model sees.
#include <cstdio>
#include <fstream>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/atomic_file.hpp"
#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"

namespace freshet::cli {
namespace {

struct FeaturesArgs {
  std::string config, state, previous, output, device = "auto";
  std::vector<std::string> inputs;
  int64_t chunk_rows = TransformOptions{}.chunk_rows;
};

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ArtifactError(path + ": not valid JSON: " + e.what());
  }
}

Table ReadAll(const std::vector<std::string>& files, const std::vector<ColumnRequest>& columns,
              const std::string& group) {
  Table all;
  for (const auto& f : files) all.Append(ReadPartition(f, columns, group));
  return all;
}

void WriteJsonFile(const std::string& path, const nlohmann::json& j) {
  WriteFileAtomically(path, j.dump(2) + "\n");
}

int Fit(const FeaturesArgs& a) {
  const Config config = LoadConfig(a.config);
  std::vector<ColumnRequest> columns = config.Columns();
  columns.pop_back();  // the label: not needed to fit features
  const Table table = ReadAll(a.inputs, columns, config.data.hdf5_group);
  std::optional<FeatureState> previous;
  if (!a.previous.empty()) previous = FeatureState::FromJson(ReadJson(a.previous), a.previous);
  const FeatureState state =
      FitFeatures(table, config.features, previous ? &*previous : nullptr, ResolveDevice(a.device));
  WriteJsonFile(a.output, state.ToJson());
  std::printf("fitted %zu numeric and %zu categorical features on %lld rows -> %s\n",
              state.numeric.size(), state.categorical.size(), static_cast<long long>(table.rows()),
              a.output.c_str());
  return kExitPublished;
}

int Transform(const FeaturesArgs& a) {
  const FeatureState state = FeatureState::FromJson(ReadJson(a.state), a.state);
  const Device device = ResolveDevice(a.device);
  const Table table = ReadAll(a.inputs, StateColumns(state), "/");
  TransformOptions options;
  options.chunk_rows = a.chunk_rows;
  const Table out = TransformToTable(table, state, device, options);
  WriteTable(a.output, out);
  std::printf("transformed %lld rows on %s into %lld dense and %lld categorical columns -> %s\n",
              static_cast<long long>(table.rows()), device.str().c_str(),
              static_cast<long long>(state.dense_dim()),
              static_cast<long long>(state.categorical_dim()), a.output.c_str());
  return kExitPublished;
}

}  // namespace

void AddFeatures(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<FeaturesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "features", "Run the feature stage on its own: fit a feature state, or transform with one");
  cmd->require_subcommand(1);
  CLI::App* fit = cmd->add_subcommand(
      "fit", "Fit the config's features on input files and write the state (features.json)");
  fit->add_option("-c,--config", a->config, "The model's YAML config")->required();
  fit->add_option("--input", a->inputs, "Input partitions (HDF5 or CSV)")->required();
  fit->add_option("--out", a->output, "Where to write the state JSON")->required();
  fit->add_option(
      "--previous", a->previous,
      "A previous state: its vocabularies only grow, frozen columns keep its statistics");
  fit->add_option("--device", a->device, "Where the fit pass runs: auto, cpu, cuda or cuda:N")
      ->capture_default_str();
  fit->callback([a, exit_code] { *exit_code = Fit(*a); });

  CLI::App* tr = cmd->add_subcommand(
      "transform", "Transform input files with a fitted state and write the features");
  tr->add_option("--state", a->state, "A features.json (from `features fit` or a version folder)")
      ->required();
  tr->add_option("--input", a->inputs, "Input partitions (HDF5 or CSV)")->required();
  tr->add_option("--output", a->output, "Output file: .h5 or .csv")->required();
  tr->add_option("--device", a->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  tr->add_option("--chunk-rows", a->chunk_rows, "Rows per chunk on a GPU")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  tr->callback([a, exit_code] { *exit_code = Transform(*a); });
}

}  // namespace freshet::cli
