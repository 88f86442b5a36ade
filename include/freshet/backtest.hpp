// `freshet backtest`: how often to retrain, answered on the model's own history. The partitions of
// the config's landing folder are replayed in the order `retrain` reads them (the files matching
// data.pattern, sorted by name, as SelectInputs sees them); for each retraining cadence k, a model
// is retrained every k partitions and scored on the partitions that follow until it is replaced;
// with `online`, the config's online learner replays the same partitions as a stream. The result
// is the primary metric per partition and per cadence (freshness) against the training compute
// each cadence spent (cost). Nothing is written to the registry.
//
// Semantics, for W = data.window.train and N partitions p_0 .. p_{N-1}:
// - Every cadence starts at the same first point t0 = W (the first partition with a full
//   training window before it) and is scored on exactly the same partitions, t0 .. N-1, so the
//   cadences are comparable. REQUIRES N >= W + 1 (else there is nothing to score).
// - Cadence k retrains at t = t0, t0 + k, t0 + 2k, ... (t < N). A retrain at t fits the features
//   on p_{t-W} .. p_{t-1} with the cadence's previous FeatureState as `previous` (vocabularies
//   append-only, as `retrain` does with the champion's), and trains (TrainModel) on the same
//   rows, warm-starting from the cadence's previous model when train.warm_start. The model is
//   scored on p_t .. p_{min(t+k, N)-1}. data.window.eval does not apply: the held-out data is
//   what follows the window.
// - The metric is evaluation.primary_metric ("auto" resolved for the task) computed by
//   MetricValue on each partition's rows with the evaluation's row weights (train.weight_column)
//   and evaluation.threshold / calibration_bins; the main model's predictions (not the fallback's).
// - Compute per cadence: the number of retrains, their seconds (wall time of FitFeatures +
//   TrainModel, scoring excluded) and the training rows processed (the window's rows times the
//   main model's epochs run, summed over retrains).
// - Online: the learner of online.learner (ftrl | adagrad | sgd | model) starts from fresh
//   weights on the FeatureState fitted on p_0 .. p_{W-1} (what the first retrain fits), then
//   reads p_0 .. p_{N-1} in order in micro-batches of online.batch_rows rows, each predicted
//   before it is learnt from (prequential); new categories grow the vocabularies as in
//   `freshet online`. Its metric per partition is computed from those predictions the same way,
//   over t0 .. N-1. Its compute: the seconds of vocabulary growth, feature transform and Train
//   calls (prediction excluded) and the rows learnt (each row once). Drift detectors and their
//   responses are not replayed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/features.hpp"
#include "freshet/online_learner.hpp"
#include "freshet/table.hpp"
#include "freshet/trainer.hpp"
#include "kernels/device.h"

namespace freshet {

// The cadences of `--cadence`: a comma-separated list of distinct positive integers ("1,3,7"),
// kept in the given order. Throws ConfigError starting with "--cadence:" for an empty list, an
// entry that is not a positive integer (0, -1, "x", "1.5", an empty entry) or a duplicate.
std::vector<int> ParseCadences(const std::string& text);

// One retrain of a cadence: at partition `at` it trains on partitions [train_begin, train_end)
// (= [at - W, at)) and its model is scored on [score_begin, score_end) (= [at, min(at + k, N))).
struct Retrain {
  int64_t at = 0;
  int64_t train_begin = 0, train_end = 0;
  int64_t score_begin = 0, score_end = 0;
};

// The retrains of cadence `cadence` over `partitions` partitions with a training window of
// `window`, in order (see the semantics above). Their score ranges are disjoint and cover
// [window, partitions) exactly. A pure function. Throws Error (internal) unless window >= 1,
// cadence >= 1 and partitions >= window + 1.
std::vector<Retrain> PlanCadence(int64_t partitions, int window, int cadence);

// The model-independent work the backtest asks of LibTorch, provided by the caller (the CLI binds
// them to TrainModel, ScoreVersion and MakeOnlineModel on the config's device), so that this code
// needs no LibTorch and tests can stand in for them.
struct BacktestHooks {
  // TrainModel(config, state, train, eval, device, options).
  std::function<TrainOutcome(const FeatureState&, const Table& train, const Table& eval,
                             const TrainOptions&)>
      train;
  // ScoreVersion(version, state, rows, device, false).
  std::function<VersionScores(const ArtifactSource&, const FeatureState&, const Table&)> score;
  // MakeOnlineModel(config, state, device, nullptr): online.learner "model" only.
  std::function<std::unique_ptr<OnlineLearner>(const FeatureState&)> make_model_learner;
};

struct BacktestOptions {
  std::vector<int> cadences;  // as ParseCadences returns them
  bool online = false;        // also replay the online learner
  Device device;              // where features are fitted (the trainer's device is the hooks')
  // Where the temporary folder of the cadences' models is made (removed when the run ends,
  // whatever its outcome); "" = the system's temporary folder ($TMPDIR, else /tmp).
  std::string temp_parent;
};

// One scored partition of one cadence.
struct PartitionScore {
  int64_t index = 0;  // into BacktestResult::partitions
  int64_t rows = 0;
  double metric = 0;        // NaN when the metric has no value (e.g. AUC of one class)
  int64_t trained_at = -1;  // the retrain whose model scored it (its `at`); -1 for online
  bool retrained = false;   // a new model starts here
};

// What one cadence (or the online learner) did.
struct CadenceResult {
  std::string name;                    // "k=3", or "online"
  int cadence = 0;                     // k; 0 for online
  std::vector<PartitionScore> scores;  // partitions t0 .. N-1, in order
  int64_t retrains = 0;                // online: 0
  int64_t updates = 0;                 // online: the micro-batches learnt from; else retrains
  double train_seconds = 0;
  int64_t train_rows = 0;  // rows processed in training (rows x epochs; online: rows learnt)
  double mean_metric = 0;  // the mean of the finite per-partition metrics (NaN when none)
  std::string learner;     // online: online.learner; else model_spec.kind
};

struct BacktestResult {
  std::string model;
  std::string task;
  std::string metric;  // the primary metric
  bool higher_is_better = true;
  std::string landing, pattern;
  int window = 0;                       // W
  int64_t first_scored = 0;             // t0 = W
  std::vector<std::string> partitions;  // file names, in replay order
  std::vector<int64_t> partition_rows;
  std::string device;
  std::vector<CadenceResult> cadences;  // in --cadence order, online last
};

// The partitions the backtest replays: DiscoverPartitions(data.landing, data.pattern), full
// paths in name order. Throws IoError when the folder cannot be read.
std::vector<std::string> BacktestPartitions(const Config& config);

// Runs the backtest over `partitions` (BacktestPartitions's), as the semantics above say. Reads
// every partition with config.Columns() and checks it (CheckPartition). The models live in a
// temporary folder under options.temp_parent, removed before returning or throwing. Logs progress
// (spdlog), prints nothing. Throws DataError for an unreadable or invalid partition, ConfigError
// for a config the data cannot satisfy (from the trainer or the learner), IoError when the
// temporary folder cannot be made or a model cannot be scored. REQUIRES: options.cadences not
// empty; partitions.size() >= data.window.train + 1; hooks.train and hooks.score set, and
// hooks.make_model_learner when options.online and online.learner is "model".
BacktestResult RunBacktest(const Config& config, const std::vector<std::string>& partitions,
                           const BacktestOptions& options, const BacktestHooks& hooks);

// The result as JSON (format "freshet.backtest/1"): model, task, metric, higher_is_better,
// landing, pattern, window, first_scored, device, partitions [{name, rows}], and cadences
// [{name, cadence, learner, retrains, updates, train_seconds, train_rows, mean_metric,
// scores [{partition, index, rows, metric, trained_at, retrained}]}]; NaN as null.
nlohmann::json BacktestToJson(const BacktestResult& result);

// The result as a plain-text table for a terminal: one row per scored partition with each
// cadence's metric ("*" where that cadence retrained), the mean, then the compute per cadence.
std::string BacktestTable(const BacktestResult& result);

// The result as a self-contained HTML page (one inline style sheet, no scripts): an inline SVG
// line chart of the metric per partition for every cadence (data-chart="backtest"; markers where
// a cadence retrained), the means, and the compute table.
std::string RenderBacktestHtml(const BacktestResult& result);

}  // namespace freshet
