// Cluster batch runs (`freshet submit`, `trial`, `aggregate`): one training run spread over the
// tasks of a Slurm job array, one task per cross-validation fold, seed or sweep entry, then one
// dependent job that collects every task's result, picks the winner and publishes it once.
//
// A submission is a folder (the plan's `dir`):
//   plan.json            what every task runs: the config (path and hash), the pinned inputs, and
//                        per task its config overrides (and fold)
//   array.sbatch         the job array: task i runs `freshet trial --plan DIR --task i`
//   aggregate.sbatch     the dependent job: `freshet aggregate --plan DIR`
//   tasks/<i>/           task i's model files, features.json, outcome.json, then result.json last
//   logs/                Slurm's output of each task and of the aggregation
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/io.hpp"
#include "freshet/trainer.hpp"

namespace freshet {

inline constexpr const char kPlanFormat[] = "freshet.submit/1";
inline constexpr const char kResultFile[] = "result.json";
inline constexpr const char kOutcomeFile[] = "outcome.json";

// What a submission spreads over its tasks.
enum class SubmitMode { kFolds, kSeeds, kSweep };
const char* SubmitModeName(SubmitMode mode);

struct SubmitTask {
  int64_t index = 0;
  // Dotted config keys and their values ({"train.lr": 0.01}), applied to the config's YAML.
  nlohmann::json overrides = nlohmann::json::object();
  int64_t fold = -1;  // kFolds: the held-out fold of this task; else -1
};

struct SubmitPlan {
  std::string id;   // "20261207-031500-12345": the submission's name, unique per model
  std::string dir;  // the submission folder, absolute
  std::string config_path;
  std::string config_hash;  // ConfigHash of the config as it was at submit time
  std::string model;
  SubmitMode mode = SubmitMode::kSweep;
  int64_t folds = 0;  // kFolds: K
  std::vector<SubmitTask> tasks;
  std::vector<InputFile> inputs;  // pinned: every task and the aggregation read exactly these
  std::string created;            // UTC, ISO 8601
};

// The entries of a sweep file: YAML, either a list of mappings from dotted config keys to values
// (`- {train.lr: 0.01, model_spec.hidden: [32]}`), or `grid:` mapping each key to a list of values,
// expanded to their cartesian product (in key order as written, the last key varying fastest).
// Throws ConfigError naming the file and the entry for anything else (an empty sweep, a value that
// is not a mapping, a grid key without a non-empty list).
std::vector<nlohmann::json> ReadSweepFile(const std::string& path);

// The config of `path` with `overrides` (dotted keys, JSON values) set in its YAML before it is
// parsed, so every check of LoadConfig applies. Throws ConfigError naming the file and the key
// path (a key under a scalar, an unknown key, a wrong type).
Config LoadConfigWithOverrides(const std::string& path, const nlohmann::json& overrides);

// The tasks of a submission: kFolds gives `count` tasks (fold 0..count-1, no overrides), kSeeds
// `count` tasks with train.seed = base_seed + i, kSweep one task per entry. Throws ConfigError for
// fewer than 2 folds or fewer than 1 seed or entry.
std::vector<SubmitTask> PlanTasks(SubmitMode mode, int64_t count, uint64_t base_seed,
                                  const std::vector<nlohmann::json>& sweep);

nlohmann::json PlanToJson(const SubmitPlan& plan);
// Writes plan.json in `plan.dir` (atomically). Throws IoError.
void WritePlan(const SubmitPlan& plan);
// Reads `dir`/plan.json. Throws IoError when it cannot be read, ConfigError when it is not a plan
// of kPlanFormat (naming the file and the key).
SubmitPlan ReadPlan(const std::string& dir);

// Checks that each pinned input is the file it was at submit time: the same stat fields, or else
// the same SHA-256. Throws DataError naming the file ("changed since the submission") otherwise,
// IoError when it is gone.
void CheckPinnedInputs(const std::vector<InputFile>& inputs);

// The Slurm side of a submission.
struct SlurmOptions {
  int64_t gpus_per_task = 0;  // 0: no --gpus-per-task line
  // Each array task's data-parallel ranks: nodes x ranks_per_node, started by `srun --mpi=pmix`
  // when more than one (the aggregation job is one process on one node).
  int64_t nodes = 1;
  int64_t ranks_per_node = 1;
  int64_t cpus_per_task = 0;  // 0: Slurm's default
  std::string partition;      // "": the cluster's default partition
  std::string time;           // "": no --time line; else Slurm's format ("1:00:00")
  std::string freshet;        // the freshet binary the tasks run, absolute
};

// The job array's script: one task per plan task, each running `freshet trial` (under
// `srun --mpi=pmix` with the task's nodes and ranks when it has more than one rank).
std::string ArrayScript(const SubmitPlan& plan, const SlurmOptions& slurm);
// The aggregation job's script (submitted with --dependency=afterany on the array, so that it
// runs, and reports, when a task fails).
std::string AggregateScript(const SubmitPlan& plan, const SlurmOptions& slurm);

// Runs `sbatch --parsable [extra...] script` and returns the job id it prints. Throws IoError with
// sbatch's own message when it is missing or fails.
std::string Sbatch(const std::string& script, const std::vector<std::string>& extra);

// A task's folder in a submission.
std::string TaskDir(const SubmitPlan& plan, int64_t index);

// What one task did (its result.json).
struct TrialResult {
  int64_t index = 0;
  std::string status;  // "ok" or "failed"
  int exit_code = 0;
  std::string reason;  // failed: the error
  nlohmann::json overrides = nlohmann::json::object();
  int64_t fold = -1;
  nlohmann::json metrics;       // the main model on the held-out partitions (`latest`)
  nlohmann::json fold_metrics;  // kFolds: on the task's held-out fold; else null
  std::optional<std::string> warm_start_from;  // the version it warm-started from
  double seconds = 0;
  std::string host, slurm_job;  // where it ran ("" outside Slurm)
  int ranks = 1;                // data-parallel ranks that trained it
};
nlohmann::json TrialResultToJson(const TrialResult& r);
TrialResult TrialResultFromJson(const nlohmann::json& j);

// TrainOutcome <-> JSON (outcome.json), exactly: floats round-trip.
nlohmann::json OutcomeToJson(const TrainOutcome& out);
TrainOutcome OutcomeFromJson(const nlohmann::json& j);

// The winner among `results` (all "ok"): the best value of `metric` in their `metrics` (higher is
// better when `higher_is_better`), the lowest index on a tie; a task whose metric is missing or
// not a number never wins. Returns nullopt when no task has the metric.
std::optional<size_t> PickWinner(const std::vector<TrialResult>& results, const std::string& metric,
                                 bool higher_is_better);

// eval.json's "trials": the submission (id, mode, folds), the winner, every task's overrides,
// metrics and fold metrics, and for kFolds and kSeeds the mean and standard deviation of `metric`
// over the tasks.
nlohmann::json TrialsJson(const SubmitPlan& plan, const std::vector<TrialResult>& results,
                          size_t winner, const std::string& metric);

}  // namespace freshet
