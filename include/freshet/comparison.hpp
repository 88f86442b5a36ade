// The evaluation of a retrain: the challenger (the new version's main model), the champion (the
// version the `champion` channel holds, scored with its own saved features) and the fallback (the
// new version's linear model) on the same rows of each evaluation set; their metrics, product
// metrics, paired bootstrap intervals of the differences, slices and curves. Works on predictions
// already made (the CLI scores each model through the training library), so it needs no LibTorch.
// The JSON shapes are those of eval.json (docs/eval-schema.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/io.hpp"
#include "freshet/table.hpp"

namespace freshet {

// The roles of the three models, in the order eval.json lists them.
inline constexpr const char* kEvalRoles[] = {"challenger", "champion", "fallback"};

// One model's predictions for the rows of a set: binary P(1), multiclass [rows, outputs]
// probabilities (row-major), or regression values. `error` says why there are none (a champion
// whose features need a column the rows lack, a model that failed to load).
struct ModelScores {
  std::string role;     // challenger | champion | fallback
  std::string version;  // "v000007"
  std::vector<float> preds;
  int64_t outputs = 1;  // values per row
  std::string error;    // "" when scored
};

// An evaluation set's rows and where they came from: `table`, or the table `view` points at (not
// owned; it must outlive this) when set, so the run's held-out rows are not copied. The rows hold
// at least the label and the columns of Config::Columns() that the evaluation reads (weights,
// slices, payoffs).
struct EvalRows {
  std::string name;
  std::vector<InputFile> files;
  Table table;
  const Table* view = nullptr;

  const Table& rows() const { return view != nullptr ? *view : table; }
};

// The labels of `table` as the metrics take them (class ids for multiclass), and its row weights
// (train.weight_column; empty when none is configured). Throws DataError naming the column and
// the row for a missing label or a negative, missing or non-finite weight.
std::vector<float> EvalLabels(const Config& config, const Table& table);
std::vector<float> EvalWeights(const Config& config, const Table& table);

// The metrics, product metrics, bootstrap comparisons (challenger against the champion and
// against the fallback, where those were scored), slices and, for a binary task, ROC, PR and
// calibration curves of one set, as eval.json's entry of evaluation.sets. `models` holds the
// challenger first and any of the champion and the fallback; multiclass predictions with fewer
// outputs than `num_classes` are padded with zeros. Throws DataError naming the column when a
// payoff or product-metric weight column holds a missing, negative (weights) or non-finite value.
nlohmann::json EvaluateSet(const Config& config, int64_t num_classes, const EvalRows& rows,
                           const std::vector<ModelScores>& models);

// "evaluation" of eval.json: {"primary_set", "primary_metric", "threshold", "bootstrap":
// {resamples, seed, confidence, method}, "sets": [...]}.
nlohmann::json EvaluationJson(const Config& config, nlohmann::json sets);

// The held-out rows of each fold of a seeded k-fold split of `rows` rows (cross-validation): the
// row indices shuffled by a mt19937_64 seeded with `seed` and dealt out in turn, each fold's rows
// in increasing order. The folds partition [0, rows). REQUIRES: folds >= 2.
std::vector<std::vector<int64_t>> KFoldRows(int64_t rows, int folds, uint64_t seed);

// Mean and (sample) standard deviation of each metric over runs of the main model: `runs` holds one
// metrics object per fold or seed. {"runs": n, "metrics": {name: {"mean", "std", "values"}}}.
nlohmann::json VarianceSummary(const std::vector<nlohmann::json>& runs);

}  // namespace freshet
