// freshet backtest: how often to retrain, replayed on the landing folder's history. Composes the
// library's backtest (include/freshet/backtest.hpp) with the trainer and prints the result.
#include <cstdio>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/atomic_file.hpp"
#include "freshet/backtest.hpp"
#include "freshet/config.hpp"
#include "freshet/trainer.hpp"

namespace freshet::cli {
namespace {

struct BacktestArgs {
  std::string config, cadence, html;
  bool online = false, json = false;
};

int Backtest(const BacktestArgs& args) {
  BacktestOptions options;
  options.cadences = ParseCadences(args.cadence);
  options.online = args.online;
  const Config config = LoadConfig(args.config);
  const std::vector<std::string> partitions = BacktestPartitions(config);
  const int window = config.data.train_window;
  if (static_cast<int64_t>(partitions.size()) < window + 1) {
    spdlog::warn(
        "nothing to do: {} holds {} partition(s) matching {}; a backtest with a training window "
        "of {} (data.window.train) needs at least {}",
        config.data.landing, partitions.size(), config.data.pattern, window, window + 1);
    return kExitNoNewData;
  }
  options.device = ResolveDevice(config.train.device);
  BacktestHooks hooks;
  const Device device = options.device;
  hooks.train = [&config, device](const FeatureState& state, const Table& train, const Table& eval,
                                  const TrainOptions& to) {
    return TrainModel(config, state, train, eval, device, to);
  };
  hooks.score = [device](const ArtifactSource& version, const FeatureState& state,
                         const Table& rows) {
    return ScoreVersion(version, state, rows, device, false);
  };
  hooks.make_model_learner = [&config, device](const FeatureState& state) {
    return MakeOnlineModel(config, state, device, nullptr);
  };
  const BacktestResult result = RunBacktest(config, partitions, options, hooks);
  if (!args.html.empty()) WriteFileAtomically(args.html, RenderBacktestHtml(result));
  if (args.json) {
    std::printf("%s\n", BacktestToJson(result).dump(2).c_str());
    if (!args.html.empty()) spdlog::info("wrote the backtest report to {}", args.html);
  } else {
    std::printf("%s", BacktestTable(result).c_str());
    if (!args.html.empty()) std::printf("\nwrote the backtest report to %s\n", args.html.c_str());
  }
  return kExitPublished;
}

}  // namespace

void AddBacktest(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<BacktestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "backtest",
      "Replay the landing folder's partitions, retraining every k partitions for each cadence "
      "(and the online learner with --online), and report the primary metric per partition "
      "against the training compute of each cadence. Writes nothing to the registry. Exit 3 when "
      "there are fewer than data.window.train + 1 partitions.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config")->required();
  cmd->add_option("--cadence", args->cadence,
                  "Retrain every k partitions, for each k of this comma-separated list (1,3,7)")
      ->required();
  cmd->add_flag("--online", args->online,
                "Also replay the config's online learner (online.learner) over the same "
                "partitions, test-then-train");
  cmd->add_flag("--json", args->json, "Print the result as JSON instead of the table");
  cmd->add_option("--html", args->html,
                  "Also write a self-contained HTML report (chart of the metric per partition "
                  "and cadence, compute table) to this file");
  cmd->callback([args, exit_code] { *exit_code = Backtest(*args); });
}

}  // namespace freshet::cli
