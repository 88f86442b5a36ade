// freshet online: keeps a model learning from a stream (standard input, a followed file, or a
// folder of chunk files), checkpointing it with the exact stream position and publishing it to
// the registry at a cadence. SIGTERM and SIGINT stop it cleanly (checkpoint, publish); a second
// one kills it, and the next run resumes from the last checkpoint.
#include <csignal>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/online.hpp"
#include "freshet/trainer.hpp"

namespace freshet::cli {
namespace {

std::atomic<int> g_stop{0};

extern "C" void OnStopSignal(int sig) {
  g_stop.store(sig);
  std::signal(sig, SIG_DFL);  // a second signal stops the process at once
}

struct OnlineArgs {
  std::string config;
  OnlineOptions options;
  bool json = false;
};

int Online(OnlineArgs& args) {
  const Config config = LoadConfig(args.config);
  const Device device = ResolveDevice(config.train.device);
  OnlineHooks hooks;
  hooks.make_model_learner = [&config, device](const FeatureState& state,
                                               const ArtifactSource* start) {
    return MakeOnlineModel(config, state, device, start);
  };
  hooks.export_model = [&config](OnlineLearner& learner, const FeatureState& state,
                                 ArtifactSink& sink) {
    ExportOnlineModel(learner, config, state, sink);
  };
  hooks.read_linear = [](const ArtifactSource& version, const FeatureState& state) {
    return ReadLinearWeights(version, state);
  };
  hooks.score_version = [device](const ArtifactSource& version, const FeatureState& state,
                                 const Table& rows) {
    return PredictVersion(version, state, rows, device, PredictConfig{}, false);
  };
  hooks.runtime_versions = [] { return RuntimeVersions(); };
  args.options.command = CommandLine();
  args.options.stop = &g_stop;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  const OnlineSummary s = RunOnline(config, args.options, hooks);
  const nlohmann::json j = s.ToJson();
  if (args.json) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf(
        "online %s: %lld records (%lld learnt, %lld dead letters) in %.1f s, %.0f records/s;"
        " %s at %s; published: %s\n",
        config.model.c_str(), static_cast<long long>(s.records), static_cast<long long>(s.trained),
        static_cast<long long>(s.dead_letters), s.seconds, j["records_per_second"].get<double>(),
        s.stop_reason.c_str(), s.end.Describe().c_str(),
        s.published.empty() ? "none" : nlohmann::json(s.published).dump().c_str());
  }
  return kExitPublished;
}

}  // namespace

void AddOnline(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<OnlineArgs>();
  CLI::App* cmd = app.add_subcommand(
      "online",
      "Learn from a stream: test-then-train on micro-batches, drift detectors, checkpoints with "
      "the exact stream position (a restart resumes after the last one: nothing lost, nothing "
      "learnt twice), versions published to the registry. Stops on SIGTERM/SIGINT, at the end "
      "of standard input, or as the flags say.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config (its online: section)")
      ->required();
  cmd->add_option("--source", args->options.source,
                  "'-' for standard input, a file to follow (like tail -F), or a folder where "
                  "chunk files (HDF5, CSV) arrive")
      ->required();
  cmd->add_option("--format", args->options.format,
                  "Record format of standard input and followed files (default online.format)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  cmd->add_option("--pattern", args->options.pattern,
                  "A chunk folder's files to read, in name order (hidden files never are)")
      ->capture_default_str();
  cmd->add_option("--idle-exit", args->options.idle_exit_seconds,
                  "Stop once the source has had nothing new for this many seconds (0 = never)");
  cmd->add_option("--max-records", args->options.max_records,
                  "Stop after this many records (0 = no limit)");
  cmd->add_option("--metrics-port", args->options.metrics_port,
                  "Serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0 = any free port)");
  cmd->add_option("--metrics-file", args->options.metrics_file,
                  "Write the metrics as a node_exporter textfile (e.g. "
                  "/var/lib/node_exporter/textfile/freshet_online.prom) at each checkpoint");
  cmd->add_option("--predictions", args->options.predictions,
                  "Append each scored record's prediction to this CSV file: record,key,prediction");
  cmd->add_flag("--no-publish{false}", args->options.publish,
                "Checkpoint only; publish nothing to the registry");
  cmd->add_flag("--json", args->json, "Print the run's summary as JSON");
  cmd->callback([args, exit_code] { *exit_code = Online(*args); });
}

}  // namespace freshet::cli
