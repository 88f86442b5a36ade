// Evaluation metrics over predictions held in host memory.
#pragma once

#include <cstdint>
#include <vector>

namespace freshet {

// Area under the ROC curve of scores against 0/1 labels, with tied scores counted as half (the
// Mann-Whitney statistic, as sklearn's roc_auc_score). Returns NaN when either class is absent.
// REQUIRES: scores.size() == labels.size().
double RocAuc(const std::vector<float>& scores, const std::vector<float>& labels);

// Mean binary cross-entropy of probabilities against 0/1 labels, with probabilities clipped to
// [1e-15, 1 - 1e-15] as sklearn's log_loss does. NaN for no rows.
double LogLoss(const std::vector<float>& probs, const std::vector<float>& labels);

// Fraction of rows whose probability >= 0.5 matches the label. NaN for no rows.
double Accuracy(const std::vector<float>& probs, const std::vector<float>& labels);

}  // namespace freshet
