// Evaluation metrics over predictions held in host memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/model_spec.hpp"

namespace freshet {

// Area under the ROC curve of scores against 0/1 labels, with tied scores counted as half (the
// Mann-Whitney statistic, as sklearn's roc_auc_score). Returns NaN when either class is absent.
// REQUIRES: scores.size() == labels.size().
double RocAuc(const std::vector<float>& scores, const std::vector<float>& labels);

// Mean binary cross-entropy of probabilities against 0/1 labels: -log of the probability given to
// the true class (p or 1 - p), clipped below at 1e-15 as sklearn's log_loss does. NaN for no rows.
double LogLoss(const std::vector<float>& probs, const std::vector<float>& labels);

// Fraction of rows whose probability >= 0.5 matches the label. NaN for no rows.
double Accuracy(const std::vector<float>& probs, const std::vector<float>& labels);

// Multiclass metrics over row-major probabilities `probs` ([N, k], rows summing to 1) against
// class ids 0..k-1 held as floats in `labels` (N). NaN for no rows.
// REQUIRES: probs.size() == labels.size() * k.
// Mean cross-entropy, probabilities clipped to [1e-15, 1] (sklearn's log_loss).
double MulticlassLogLoss(const std::vector<float>& probs, int64_t k,
                         const std::vector<float>& labels);
// Fraction of rows whose most probable class (the first on ties) is the label.
double MulticlassAccuracy(const std::vector<float>& probs, int64_t k,
                          const std::vector<float>& labels);
// Unweighted mean over the classes present in the labels or the predictions of
// F1 = 2·TP / (2·TP + FP + FN) (sklearn's f1_score(average="macro") up to its zero-division rule).
double MacroF1(const std::vector<float>& probs, int64_t k, const std::vector<float>& labels);

// Regression metrics of `preds` against `labels`. NaN for no rows. REQUIRES: equal sizes.
double Rmse(const std::vector<float>& preds, const std::vector<float>& labels);
double Mae(const std::vector<float>& preds, const std::vector<float>& labels);
// 1 - SS_res / SS_tot; NaN when the labels are constant (SS_tot = 0) or there are no rows.
double R2(const std::vector<float>& preds, const std::vector<float>& labels);

// The metrics of a task, as eval.json records them, NaN as null. `preds` as the trainer returns
// them: binary P(1) per row ({auc, log_loss, accuracy}); multiclass [N, num_classes] probabilities
// ({log_loss, accuracy, macro_f1}); regression predictions ({rmse, mae, r2}).
nlohmann::json TaskMetrics(Task task, int64_t num_classes, const std::vector<float>& preds,
                           const std::vector<float>& labels);

// Whether a larger value of the metric `name` (auc, accuracy, macro_f1, r2) is better.
bool HigherIsBetter(const std::string& name);

}  // namespace freshet
