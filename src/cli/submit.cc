// freshet submit: spreads a training run over a Slurm job array, one task per cross-validation
// fold, seed or sweep entry, and queues a dependent aggregation job that publishes once. Writes
// the submission folder (plan.json with the pinned inputs, the two sbatch scripts) and submits
// them with sbatch; --dry-run prints the scripts and writes nothing.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/io.hpp"
#include "freshet/log.hpp"
#include "freshet/registry.hpp"
#include "freshet/submit.hpp"

namespace freshet::cli {
namespace {

struct SubmitArgs {
  std::string config, sweep, out;
  int64_t folds = 0, seeds = 0;
  SlurmOptions slurm;
  bool dry_run = false;
};

std::string SubmissionId() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return std::string(buf) + "-" + std::to_string(::getpid());
}

// A sweep may change how a model is built and trained, not which data or registry it uses: every
// task reads the submission's pinned inputs and the aggregation publishes to one model.
void CheckOverrides(const std::string& where, const nlohmann::json& overrides) {
  for (const auto& [key, value] : overrides.items()) {
    const std::string top = key.substr(0, key.find('.'));
    if (top == "model" || top == "registry" || top == "data") {
      throw ConfigError(where + ": " + key +
                        ": a submission's tasks cannot change the model name, the registry or the "
                        "data (every task reads the submission's pinned inputs)");
    }
  }
}

int Submit(const SubmitArgs& args) {
  const int modes = (args.folds > 0) + (args.seeds > 0) + !args.sweep.empty();
  if (modes != 1) throw ConfigError("submit: give exactly one of --folds, --seeds or --sweep");
  const std::string config_path =
      std::filesystem::absolute(args.config).lexically_normal().string();
  const Config config = LoadConfig(config_path);

  SubmitPlan plan;
  plan.mode = args.folds > 0   ? SubmitMode::kFolds
              : args.seeds > 0 ? SubmitMode::kSeeds
                               : SubmitMode::kSweep;
  plan.folds = args.folds;
  std::vector<nlohmann::json> sweep;
  if (!args.sweep.empty()) sweep = ReadSweepFile(args.sweep);
  plan.tasks = PlanTasks(plan.mode, plan.mode == SubmitMode::kFolds ? args.folds : args.seeds,
                         config.train.seed, sweep);
  // Every task's config is checked now, not on the cluster an hour later.
  for (const auto& t : plan.tasks) {
    if (t.overrides.empty()) continue;
    const std::string where = plan.mode == SubmitMode::kSweep
                                  ? args.sweep + ": entry " + std::to_string(t.index + 1)
                                  : "--seeds: task " + std::to_string(t.index);
    CheckOverrides(where, t.overrides);
    try {
      LoadConfigWithOverrides(config_path, t.overrides);
    } catch (const ConfigError& e) {
      throw ConfigError(where + ": " + e.what());
    }
  }

  std::string none;
  std::optional<Registry> registry;
  if (std::filesystem::exists(config.registry + "/index.sqlite")) {
    registry.emplace(Registry::Open(config.registry, Registry::Mode::kReadOnly));
  }
  plan.inputs = SelectInputs(config.data.landing, config.data.pattern, config.data.train_window,
                             config.data.eval_window, &none, [&registry](const InputFile& in) {
                               return registry ? registry->KnownSha256(in) : std::string();
                             });
  if (plan.inputs.empty()) {
    spdlog::warn("nothing to do: {}", none);
    return kExitNoNewData;
  }
  plan.id = SubmissionId();
  plan.model = config.model;
  plan.config_path = config_path;
  plan.config_hash = ConfigHash(config);
  plan.created = UtcNow();
  plan.dir = std::filesystem::absolute(args.out.empty() ? config.registry + "/" + config.model +
                                                              "/submissions/" + plan.id
                                                        : args.out)
                 .lexically_normal()
                 .string();
  SlurmOptions slurm = args.slurm;
  slurm.freshet = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string array = ArrayScript(plan, slurm);
  const std::string aggregate = AggregateScript(plan, slurm);
  if (args.dry_run) {
    std::printf(
        "# %s/array.sbatch\n%s\n# %s/aggregate.sbatch (sbatch --dependency=afterany:"
        "<array job>)\n%s",
        plan.dir.c_str(), array.c_str(), plan.dir.c_str(), aggregate.c_str());
    return kExitPublished;
  }
  if (std::filesystem::exists(plan.dir) && !std::filesystem::is_empty(plan.dir)) {
    throw ConfigError("--out " + plan.dir + ": not empty (a submission needs a folder of its own)");
  }
  std::filesystem::create_directories(plan.dir + "/logs");
  std::filesystem::create_directories(plan.dir + "/tasks");
  WritePlan(plan);
  FolderArtifacts files(plan.dir);
  files.Write("array.sbatch", array);
  files.Write("aggregate.sbatch", aggregate);
  const std::string array_job = Sbatch(plan.dir + "/array.sbatch", {});
  std::string aggregate_job;
  try {
    aggregate_job = Sbatch(plan.dir + "/aggregate.sbatch", {"--dependency=afterany:" + array_job});
  } catch (const Error&) {
    // No array without its aggregation: it would train and never publish.
    const std::string cancel = "scancel " + array_job + " >/dev/null 2>&1";
    if (std::system(cancel.c_str()) != 0) spdlog::warn("could not cancel job {}", array_job);
    throw;
  }
  files.Write("jobs.json",
              nlohmann::json{{"array", array_job}, {"aggregate", aggregate_job}}.dump() + "\n");
  std::printf("submitted %s: %zu %s task(s) as job array %s, aggregation job %s; folder %s\n",
              plan.id.c_str(), plan.tasks.size(), SubmitModeName(plan.mode), array_job.c_str(),
              aggregate_job.c_str(), plan.dir.c_str());
  return kExitPublished;
}

}  // namespace

void AddSubmit(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SubmitArgs>();
  CLI::App* cmd = app.add_subcommand(
      "submit",
      "Spread a training run over a Slurm job array, one task per fold, seed or sweep entry, "
      "with a dependent job that collects every task's result, picks the winner, runs the gates "
      "and publishes once. Prints the job ids; --dry-run prints the sbatch scripts only. Exit 0 "
      "submitted, 2 bad config or sweep, 3 no data.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config")->required();
  cmd->add_option("--folds", args->folds, "One task per cross-validation fold (K >= 2)")
      ->check(CLI::Range(int64_t{2}, int64_t{1000}));
  cmd->add_option("--seeds", args->seeds,
                  "One task per seed: train.seed, train.seed + 1, ... (S >= 1)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  cmd->add_option("--sweep", args->sweep,
                  "A YAML file: a list of entries of dotted config keys and values "
                  "({train.lr: 0.01}), or `grid:` with a list of values per key; one task each");
  cmd->add_option("--gpus-per-task", args->slurm.gpus_per_task, "GPUs for each array task")
      ->check(CLI::Range(int64_t{0}, int64_t{64}));
  cmd->add_option("--nodes", args->slurm.nodes,
                  "Nodes of each array task: its model trains data-parallel over them (srun)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  cmd->add_option("--ranks-per-node", args->slurm.ranks_per_node,
                  "Data-parallel ranks of each array task per node (e.g. one per GPU)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--cpus-per-task", args->slurm.cpus_per_task, "CPUs for each array task")
      ->check(CLI::Range(int64_t{0}, int64_t{1024}));
  cmd->add_option("--partition", args->slurm.partition,
                  "The Slurm partition (default: the "
                  "cluster's default)");
  cmd->add_option("--time", args->slurm.time, "Slurm time limit of each job, e.g. 1:00:00");
  cmd->add_option("--out", args->out,
                  "The submission folder (default: REGISTRY/MODEL/submissions/ID); must be on a "
                  "file system every node sees");
  cmd->add_flag("--dry-run", args->dry_run, "Print the sbatch scripts; write and submit nothing");
  cmd->callback([args, exit_code] { *exit_code = Submit(*args); });
}

}  // namespace freshet::cli
