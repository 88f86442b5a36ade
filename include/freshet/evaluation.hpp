// The evaluation summary of a run (eval.json) and its one-line headline.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/trainer.hpp"

namespace freshet {

inline constexpr char kEvalFormat[] = "freshet.eval/2";
inline constexpr char kReportFile[] = "report.html";

// eval.json of a new version: the task's metrics on the held-out rows for the main model and the
// fallback, the label's statistics, and each model's training (steps, epochs, per-epoch history,
// validation and early stopping). With `evaluation` (comparison.hpp's EvaluationJson), the
// metrics are the challenger's and the fallback's on its primary set, and the evaluation is
// recorded under "evaluation" (format freshet.eval/2, docs/eval-schema.md).
nlohmann::json EvalSummary(const Config& config, const std::string& version,
                           const TrainOutcome& outcome, const nlohmann::json& evaluation = nullptr);

// Statistics of evaluation labels (unweighted): binary {positive_rate}, multiclass
// {class_counts} (num_classes entries), regression {mean, stddev}.
nlohmann::json LabelSummary(Task task, int64_t num_classes, const std::vector<float>& labels);

// "AUC 0.8123, log loss 0.4321" and the like: the task's headline metrics from a metrics object.
std::string Headline(Task task, const nlohmann::json& metrics);

}  // namespace freshet
