// freshet retrain: the batch pipeline, composed from its stages. Every run is recorded in the
// registry (start, end, exit code, reason, inputs), whatever its outcome.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/evaluate.h"
#include "cli/publish_run.h"
#include "cli/retrain_ranks.h"
#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/discover.hpp"
#include "freshet/dist.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"
#include "freshet/log.hpp"
#include "freshet/prometheus.hpp"
#include "freshet/registry.hpp"
#include "freshet/run_metrics.hpp"
#include "freshet/run_plan.hpp"
#include "freshet/torch_preload.hpp"
#include "freshet/trainer.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {
namespace {

struct RetrainArgs {
  std::string config;
  double wait = 0;
  std::string metrics_file;
  bool dry_run = false, json = false;
};

// `report` receives the run's eval.json and data report as they are made (for --metrics-file).
// With several ranks, `registry` is rank 0's (read-write, holding the lock) on rank 0 and opened
// read-only by the other ranks once rank 0 has made it (`open_registry`); only rank 0 writes.
RunOutcome RunStages(const Config& config, const Device& device, Registry* registry_in, int64_t run,
                     double wait, std::vector<InputFile>* inputs, StageTimer& timer,
                     RunReport* report, const Ranks& ranks,
                     const std::function<Registry()>& open_registry) {
  std::optional<ModelWriter> writer;
  if (ranks.leader()) writer.emplace(registry_in->Lock(config.model, wait));
  std::optional<Registry> follower_registry;

  timer.Start("discover");
  // Rank 0 decides (stop, or these partitions and this champion); the other ranks get its plan.
  RunPlan plan;
  if (ranks.leader()) {
    Registry& registry = *registry_in;
    const std::string none = DiscoverInputs(config, &registry, inputs);
    if (!none.empty()) {
      // Too few partitions is worth a warning; the same partitions again is a scheduler's rerun.
      if (inputs->empty()) {
        spdlog::warn("nothing to do: {}", none);
      } else {
        spdlog::info("nothing to do: {} {}", config.model, none);
      }
      plan.stop = true;
      plan.exit_code = kExitNoNewData;
      plan.reason = "nothing to do: " + none;
    } else {
      plan.inputs = *inputs;
      plan.champion = registry.Holder(config.model, "champion");
    }
  }
  if (ranks.dist()) {
    ShareRunPlan(*ranks.comm, config.model, open_registry, &plan, &follower_registry);
    if (!ranks.leader()) *inputs = plan.inputs;
  }
  if (plan.stop) return {plan.exit_code, plan.reason, std::nullopt};
  const std::optional<VersionInfo> champion = plan.champion;
  Registry& registry = ranks.leader() ? *registry_in : *follower_registry;

  // LibTorch loads on another core while the inputs are read and checked.
  const TorchPreload preload;
  timer.Start("ingest");
  GateSetup setup = PrepareGate(registry, config, champion, *inputs);
  DataGate gate(config, std::move(setup.schema), std::move(setup.reference));
  RunTables tables;
  const std::optional<RunOutcome> refused =
      ReadAndCheck(config, device, ranks, setup.fresh, gate, writer ? &*writer : nullptr, run,
                   timer, report, inputs, &tables);
  if (refused) return *refused;
  // The evaluation sets are read before anything is fitted: a changed golden file stops the run.
  const std::vector<EvalRows> sets =
      ranks.leader() ? ReadEvalSets(config, tables.eval, *inputs) : std::vector<EvalRows>();

  timer.Start("fit_features");
  std::optional<FeatureState> previous;
  if (champion) previous = registry.LoadFeatureState(*champion);
  // The fit pass runs on the training device (moments, vocabularies on a GPU when it is one).
  const FeatureState state =
      FitFeatures(tables.train, config.features, previous ? &*previous : nullptr, device);

  timer.Start("train");
  std::unique_ptr<ArtifactSource> parent;
  if (champion) parent = registry.Artifacts(*champion);
  TrainOptions options;
  options.warm_start = config.train.warm_start ? parent.get() : nullptr;
  options.comm = ranks.dist() ? ranks.comm : nullptr;
  if (!ranks.leader()) {
    DiscardArtifacts discard(ranks.comm->rank());
    options.out = &discard;
    TrainModel(config, state, tables.train, tables.eval, device, options);
    // Rank 0 publishes only once every rank has finished training.
    ranks.comm->AllReduceMax(0);
    return {kExitPublished, "", std::nullopt};
  }
  // Ranks: rank 0 holds its artifacts in memory until every rank has finished training, so that a
  // job that loses a rank leaves nothing in the registry, not even a draft.
  BufferedArtifacts buffered;
  std::optional<VersionDraft> started_draft;
  if (!ranks.dist()) started_draft.emplace(writer->NewVersion());
  options.out = ranks.dist() ? static_cast<ArtifactSink*>(&buffered) : &*started_draft;
  const TrainOutcome out = TrainModel(config, state, tables.train, tables.eval, device, options);
  if (ranks.dist()) {
    ranks.comm->AllReduceMax(0);
    spdlog::info("all {} ranks finished training", ranks.comm->size());
    started_draft.emplace(writer->NewVersion());
    buffered.CopyTo(*started_draft);
  }
  PublishArgs a;
  a.config = &config;
  a.device = &device;
  a.registry = &registry;
  a.writer = &*writer;
  a.run = run;
  a.draft = &*started_draft;
  a.state = &state;
  a.out = &out;
  a.inputs = inputs;
  a.sets = &sets;
  a.gate = config.validate.enabled ? &gate : nullptr;
  a.champion = champion;
  a.champion_state = previous ? &*previous : nullptr;
  a.champion_files = parent.get();
  if (config.evaluation.cv_folds > 0 || config.evaluation.seeds > 0) {
    a.variance = [&] { return VarianceEvidence(config, state, tables.train, tables.eval, device); };
  }
  return EvaluateAndPublish(a, timer, report);
}

// Completes `report` with the run's times and writes its textfile (when asked for one).
void WriteRunMetrics(const std::string& path, RunReport report, const StageTimer& timer,
                     std::chrono::steady_clock::time_point started) {
  if (path.empty()) return;
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.stage_seconds = timer.timings();
  WriteRunMetricsFile(path, report);
}

int Retrain(const RetrainArgs& args, const Ranks& ranks, const RankInfo& info) {
  const auto started = std::chrono::steady_clock::now();
  StageTimer timer;
  RunReport report;
  // Until the config names the model, the metrics name the config file.
  report.model = std::filesystem::path(args.config).stem().string();
  try {
    timer.Start("config");
    const Config config = LoadConfig(args.config);
    report.model = config.model;
    Device device = ResolveDevice(config.train.device);
    // One GPU per rank on a node: the node's ranks take its devices in turn.
    if (ranks.dist() && device.is_cuda()) device.index = info.local_rank % CudaDeviceCount();
    spdlog::info("model {} ({}), device {}", config.model, TaskName(config.task), device.str());
    if (!ranks.leader()) {
      // Rank 0 holds the lock, records the run, evaluates and publishes; the others train.
      std::vector<InputFile> inputs;
      const auto open = [&config] {
        return Registry::Open(config.registry, Registry::Mode::kReadOnly);
      };
      return RunStages(config, device, nullptr, 0, 0, &inputs, timer, &report, ranks, open)
          .exit_code;
    }
    Registry registry = Registry::Open(config.registry, Registry::Mode::kReadWrite);
    const int64_t run = registry.BeginRun(config.model, CommandLine());
    std::vector<InputFile> inputs;
    const RunOutcome o = RecordRun(registry, config.model, run, inputs, &report, [&] {
      return RunStages(config, device, &registry, run, args.wait, &inputs, timer, &report, ranks,
                       nullptr);
    });
    WriteRunMetrics(args.metrics_file, report, timer, started);
    return o.exit_code;
  } catch (const Error& e) {
    report.exit_code = ExitCodeFor(e.kind());
    WriteRunMetrics(args.metrics_file, report, timer, started);
    throw;
  } catch (const std::exception&) {
    report.exit_code = kExitFailure;
    WriteRunMetrics(args.metrics_file, report, timer, started);
    throw;
  }
}

// Retrain in every rank of a data-parallel job, or as the single process it was.
int RetrainRanks(const RetrainArgs& args) {
  return RunRanks(
      [&args](const Ranks& ranks, const RankInfo& info) { return Retrain(args, ranks, info); });
}

// --dry-run under a launcher: rank 0 plans, the other ranks do nothing (and never start MPI).
int DryRunRanks(const RetrainArgs& args) {
  const RankInfo info = DetectRanks();
  return info.rank == 0 ? DryRun(args.config, args.json) : kExitPublished;
}

}  // namespace

void AddRetrain(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RetrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "retrain",
      "Train on the newest partitions, score the new model, the champion and the fallback on the "
      "evaluation sets, publish a new version and, if the promotion gate passes, make it champion. "
      "Exit 0 published (and promoted), 3 no new data, 4 published but the gate kept the "
      "champion, 5 input refused, 6 locked.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config")->required();
  cmd->add_option("--wait", args->wait,
                  "Seconds to wait for the model's lock when another run holds it (default: exit "
                  "6 at once)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option(
      "--metrics-file", args->metrics_file,
      "Write the run's Prometheus metrics (status, exit code, stage durations, version, "
      "gate decision, main metrics, data-gate counts) to this node_exporter textfile, "
      "atomically, whatever the outcome");
  cmd->add_flag("--dry-run", args->dry_run,
                "Print what the run would read, check, train and publish, and exit with the code "
                "the real run would give (0 when it would publish: whether the gate then keeps the "
                "champion needs the training); writes nothing, takes no lock");
  cmd->add_flag("--json", args->json, "With --dry-run: print the plan as JSON");
  cmd->callback(
      [args, exit_code] { *exit_code = args->dry_run ? DryRunRanks(*args) : RetrainRanks(*args); });
}

}  // namespace freshet::cli
