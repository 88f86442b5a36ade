// freshet trial: one task of a submission (an array task of `freshet submit`): trains the config
// with the task's overrides (a seed, a sweep entry) or without its fold, on the submission's
// pinned inputs, and writes the model, its features, its outcome and result.json into
// tasks/<i>/. Publishes nothing; `freshet aggregate` does, once, for the whole submission.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "cli/retrain_ranks.h"
#include "cli/verbs.h"
#include "freshet/artifacts.hpp"
#include "freshet/comparison.hpp"
#include "freshet/config.hpp"
#include "freshet/env.hpp"
#include "freshet/features.hpp"
#include "freshet/metrics.hpp"
#include "freshet/registry.hpp"
#include "freshet/submit.hpp"
#include "freshet/trainer.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {
namespace {

struct TrialArgs {
  std::string plan;
  int64_t task = -1;
};

std::string Host() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string();
}

std::string SlurmJob() {
  const char* job = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (job == nullptr) job = std::getenv("SLURM_JOB_ID");
  if (job == nullptr) return "";
  return std::string(job) + (task != nullptr ? "_" + std::string(task) : "");
}

nlohmann::json MetricsOf(const Config& config, const TrainOutcome& o,
                         const std::vector<float>& preds, const Table& rows) {
  MetricOptions opt;
  opt.threshold = config.evaluation.threshold;
  opt.calibration_bins = config.evaluation.calibration_bins;
  return TaskMetrics(config.task, o.num_classes, preds, EvalLabels(config, rows),
                     EvalWeights(config, rows), opt);
}

// The task's training; fills `r` with what it measured.
// With several ranks (the task started by srun), every rank reads its share of the inputs, they
// train one model data-parallel (as `retrain` does), and rank 0 writes the task's files.
void RunTrial(const SubmitPlan& plan, const SubmitTask& task, const std::string& dir,
              const Ranks& ranks, TrialResult* r) {
  const Config base = LoadConfig(plan.config_path);
  if (ConfigHash(base) != plan.config_hash) {
    throw ConfigError(plan.config_path + ": changed since submission " + plan.id +
                      " (config hash " + ConfigHash(base) + ", submitted " + plan.config_hash +
                      "); submit again");
  }
  const Config config = LoadConfigWithOverrides(plan.config_path, task.overrides);
  const Device device = ResolveDevice(config.train.device);
  spdlog::info("submission {} task {} of {} ({}): {}", plan.id, task.index, plan.tasks.size(),
               SubmitModeName(plan.mode),
               task.fold >= 0 ? "fold " + std::to_string(task.fold) : task.overrides.dump());
  CheckPinnedInputs(plan.inputs);
  std::vector<InputFile> inputs = plan.inputs;
  RunTables tables;
  if (ranks.dist()) {
    ReadRanks(config, *ranks.comm, &inputs, std::vector<bool>(inputs.size(), false), nullptr,
              &tables);
  } else {
    tables = ReadInputs(config, &inputs);
  }

  // Warm start and vocabularies continue from the champion, as `retrain` does.
  // (A first submission finds no registry: it starts cold.)
  std::optional<Registry> registry;
  if (std::filesystem::exists(config.registry + "/index.sqlite")) {
    registry.emplace(Registry::Open(config.registry, Registry::Mode::kReadOnly));
  }
  const std::optional<VersionInfo> champion =
      registry ? registry->Holder(config.model, "champion") : std::nullopt;
  std::optional<FeatureState> previous;
  std::unique_ptr<ArtifactSource> parent;
  if (champion) {
    previous = registry->LoadFeatureState(*champion);
    parent = registry->Artifacts(*champion);
  }
  const FeatureState state =
      FitFeatures(tables.train, config.features, previous ? &*previous : nullptr, device);

  FolderArtifacts files(dir);
  DiscardArtifacts discard(ranks.dist() ? ranks.comm->rank() : 0);
  TrainOptions options;
  options.comm = ranks.dist() ? ranks.comm : nullptr;
  // A task whose overrides change the model or its features starts cold: the champion's weights
  // do not fit another architecture.
  bool reshaped = false;
  for (const auto& [key, value] : task.overrides.items()) {
    reshaped |= key.rfind("model_spec", 0) == 0 || key.rfind("features", 0) == 0;
  }
  if (reshaped && champion && config.train.warm_start) {
    spdlog::info("task {} starts cold: its overrides change the model or its features", task.index);
  }
  options.warm_start = config.train.warm_start && !reshaped ? parent.get() : nullptr;
  options.out = ranks.leader() ? static_cast<ArtifactSink*>(&files) : &discard;
  Table train = tables.train;
  Table held;
  if (task.fold >= 0) {
    const auto folds =
        KFoldRows(tables.train.rows(), static_cast<int>(plan.folds), config.train.seed);
    std::vector<int64_t> fit;
    for (size_t g = 0; g < folds.size(); ++g) {
      if (static_cast<int64_t>(g) != task.fold)
        fit.insert(fit.end(), folds[g].begin(), folds[g].end());
    }
    std::sort(fit.begin(), fit.end());
    held = tables.train.Take(folds[static_cast<size_t>(task.fold)]);
    train = tables.train.Take(fit);
  }
  const TrainOutcome out = TrainModel(config, state, train, tables.eval, device, options);
  if (!ranks.leader()) return;
  if (champion && options.warm_start != nullptr && out.main.warm_started) {
    r->warm_start_from = champion->name;
  }
  r->metrics = MetricsOf(config, out, out.main.eval_predictions, tables.eval);
  if (task.fold >= 0) {
    const VersionScores s = ScoreVersion(files, state, held, device, false);
    if (!s.main_error.empty()) throw Error(ErrorKind::kIo, dir + ": " + s.main_error);
    r->fold_metrics = MetricsOf(config, out, s.main, held);
  }
  files.Write(kFeaturesFile, state.ToJson().dump());
  files.Write(kOutcomeFile, OutcomeToJson(out).dump());
}

int Trial(const TrialArgs& args, const Ranks& ranks) {
  const auto started = std::chrono::steady_clock::now();
  const SubmitPlan plan = ReadPlan(args.plan);
  if (args.task < 0 || args.task >= static_cast<int64_t>(plan.tasks.size())) {
    throw ConfigError("--task " + std::to_string(args.task) + ": submission " + plan.id + " has " +
                      std::to_string(plan.tasks.size()) + " tasks (0.." +
                      std::to_string(plan.tasks.size() - 1) + ")");
  }
  const SubmitTask& task = plan.tasks[static_cast<size_t>(args.task)];
  // A rerun starts from an empty folder: nothing of an earlier, crashed attempt is mistaken for
  // this one's (result.json is written last).
  const std::string dir = TaskDir(plan, task.index);
  if (ranks.leader()) {
    Env::Default()->RemoveAll(dir);
    std::filesystem::create_directories(dir);
  }
  TrialResult r;
  r.index = task.index;
  r.overrides = task.overrides;
  r.fold = task.fold;
  r.host = Host();
  r.slurm_job = SlurmJob();
  const auto finish = [&](const std::string& status, int code, const std::string& reason) {
    r.status = status;
    r.exit_code = code;
    r.reason = reason;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (ranks.dist()) r.ranks = ranks.comm->size();
    if (ranks.leader())
      FolderArtifacts(dir).Write(kResultFile, TrialResultToJson(r).dump(2) + "\n");
  };
  try {
    RunTrial(plan, task, dir, ranks, &r);
    // The task is done when every rank is: rank 0 writes result.json only then.
    if (ranks.dist()) ranks.comm->AllReduceMax(0);
  } catch (const Error& e) {
    finish("failed", ExitCodeFor(e.kind()), e.what());
    throw;
  } catch (const std::exception& e) {
    finish("failed", kExitFailure, e.what());
    throw;
  }
  finish("ok", 0, "");
  if (!ranks.leader()) return kExitPublished;
  std::printf("task %lld of submission %s: %s\n", static_cast<long long>(task.index),
              plan.id.c_str(), r.metrics.dump().c_str());
  return kExitPublished;
}

}  // namespace

void AddTrial(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<TrialArgs>();
  CLI::App* cmd = app.add_subcommand(
      "trial",
      "Run one task of a submission (what each array task of `freshet submit` runs): train with "
      "the task's seed, sweep entry or fold on the submission's pinned inputs and write the model "
      "and its result into the submission's tasks/<i>/. Publishes nothing.");
  cmd->add_option("--plan", args->plan, "The submission folder (holding plan.json)")->required();
  cmd->add_option("--task", args->task, "The task's index (Slurm: $SLURM_ARRAY_TASK_ID)")
      ->required();
  cmd->callback([args, exit_code] {
    *exit_code =
        RunRanks([&args](const Ranks& ranks, const RankInfo&) { return Trial(*args, ranks); });
  });
}

}  // namespace freshet::cli
