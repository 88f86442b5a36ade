// Shadow evaluation: the champion and a challenger score the same logged live rows, the
// challenger's predictions are compared with the champion's without serving them, and the
// config's gate.shadow policy decides whether the challenger may move on towards champion.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/comparison.hpp"
#include "freshet/config.hpp"

namespace freshet {

inline constexpr char kShadowFormat[] = "freshet.shadow/1";

struct ShadowOutcome {
  bool passed = false;
  std::string reason;  // one line: the failed checks, or that every check passed
  // {format, challenger, champion, inputs, rows, labelled, threshold, nonfinite, agreement,
  //  flips, score_shift, unlabelled_rows, evaluated_rows and evaluation (with labels:
  //  EvaluateSet of the two models on the rows both scored and whose label is present), checks:
  //  [{name, value, threshold, passed, reason}], passed, reason} (docs/eval-schema.md, "The shadow
  //  summary").
  nlohmann::json summary;
};

// Reads logged traffic: the `features` columns (both models' StateColumns) of every file in
// `paths`, plus the label, the weight column and the evaluation's own columns (slices, payoffs,
// product-metric weights) where every file holds them. `labelled` says whether the label came
// with them. The set is named "shadow"; each file's SHA-256 is recorded. Throws DataError naming
// the file for an unreadable one or a missing feature column.
EvalRows ReadLoggedRows(const Config& config, const std::vector<std::string>& paths,
                        const std::vector<ColumnRequest>& features, bool* labelled);

// `config` without the slices, product metrics and row weights whose columns `rows` lacks: the
// evaluation logged traffic can serve.
Config WithLoggedColumns(Config config, const Table& rows);

// Compares `challenger` with `champion` (both ModelScores of `rows`, roles "challenger" and
// "champion") under config.gate.shadow: at least min_rows rows, every prediction of the
// challenger finite, and where configured the flip rate, the PSI of the challenger's scores
// against the champion's and, when `labelled` (rows holds the label), the drop of the primary
// metric. Binary: a decision is p >= evaluation.threshold; multiclass: the most probable class;
// regression has no decisions (agreement and flips are null). The metrics use the slices,
// product metrics and weights of `config` whose columns `rows` holds (WithLoggedColumns). Throws
// DataError for bad weights or payoffs, as EvaluateSet does.
ShadowOutcome CompareShadow(const Config& config, int64_t num_classes, const EvalRows& rows,
                            const ModelScores& challenger, const ModelScores& champion,
                            bool labelled);

}  // namespace freshet
