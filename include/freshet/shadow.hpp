// Shadow evaluation: the champion and a challenger score the same logged live rows, the
// challenger's predictions are compared with the champion's without serving them, and the
// config's gate.shadow policy decides whether the challenger may move on towards champion.
#pragma once

#include <string>

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

// Compares `challenger` with `champion` (both ModelScores of `rows`, roles "challenger" and
// "champion") under config.gate.shadow: at least min_rows rows, every prediction of the
// challenger finite, and where configured the flip rate, the PSI of the challenger's scores
// against the champion's and, when `labelled` (rows holds the label), the drop of the primary
// metric. Binary: a decision is p >= evaluation.threshold; multiclass: the most probable class;
// regression has no decisions (agreement and flips are null). Throws DataError for bad labels or
// weights, as EvaluateSet does.
ShadowOutcome CompareShadow(const Config& config, int64_t num_classes, const EvalRows& rows,
                            const ModelScores& challenger, const ModelScores& champion,
                            bool labelled);

}  // namespace freshet
