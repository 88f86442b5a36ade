// Evaluation metrics over predictions held in host memory: the numbers eval.json records and the
// evaluation gate compares, the curves of the report, product metrics, and a paired bootstrap.
//
// Common rules, for every function below unless it says otherwise:
// - Binary labels are 0/1 held as floats; a label > 0.5 is the positive class.
// - Row weights: an empty `weights` means every row has weight 1; otherwise
//   REQUIRES: weights.size() == labels.size(), every weight >= 0 and finite (checked; a violation
//   throws freshet::Error). A metric is the weighted sum scikit-learn computes with
//   sample_weight=weights, so a weight of c equals repeating the row c times.
// - A metric of no rows, or of rows whose weights sum to 0, is NaN. So is a metric of predictions
//   holding a NaN (scikit-learn raises there; a diverged model must not stop the evaluation).
// - Sums are taken in double from the float inputs, as scikit-learn does on the float64 copies of
//   the same values (the log losses excepted: they clip as scikit-learn does on float32 input).
// - Thread-safe: no shared state; PairedBootstrap alone starts threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/model_spec.hpp"

namespace freshet {

// ---- Binary classification. `scores` / `probs`: one value per row. REQUIRES: the same length as
// `labels`.

// Area under the ROC curve, tied scores counted as half (the trapezoid over the weighted ROC
// points, as roc_auc_score(y, s, sample_weight=w)). NaN when either class has zero total weight.
double RocAuc(const std::vector<float>& scores, const std::vector<float>& labels,
              const std::vector<float>& weights = {});

// Average precision, sum over the distinct thresholds (descending) of (R_n - R_{n-1}) * P_n, as
// average_precision_score. Tied scores form one threshold. NaN when the positives have zero total
// weight (scikit-learn warns and returns 0 there); 1 when the negatives do.
double AveragePrecision(const std::vector<float>& scores, const std::vector<float>& labels,
                        const std::vector<float>& weights = {});

// Weighted mean of -log q, q the probability given to the true class: p for a positive, the
// float32 value 1 - p for a negative, clipped to [eps, 1 - eps] with eps = FLT_EPSILON (2^-23).
// That is scikit-learn 1.9's log_loss on a float32 y_proba: it clips at the machine epsilon of
// the input's dtype (not 1e-15 any more), so a certain wrong prediction costs -log(2^-23) = 15.94
// and a certain right one 2^-23.
double LogLoss(const std::vector<float>& probs, const std::vector<float>& labels,
               const std::vector<float>& weights = {});

// Weighted mean of (p - y)^2 (brier_score_loss). Probabilities are not clipped.
double Brier(const std::vector<float>& probs, const std::vector<float>& labels,
             const std::vector<float>& weights = {});

// Weighted share of rows whose prediction (positive iff p >= threshold) matches the label.
double Accuracy(const std::vector<float>& probs, const std::vector<float>& labels,
                const std::vector<float>& weights = {}, double threshold = 0.5);

// Weighted confusion counts at `threshold` (predicted positive iff p >= threshold). All four are
// NaN when a probability is NaN.
struct BinaryCounts {
  double tp = 0, fp = 0, fn = 0, tn = 0;
};
BinaryCounts Confusion(const std::vector<float>& probs, const std::vector<float>& labels,
                       const std::vector<float>& weights, double threshold);

// tp / (tp + fp), tp / (tp + fn) and 2 tp / (2 tp + fp + fn): scikit-learn's precision_score,
// recall_score and f1_score with zero_division=0 (0 where the denominator is 0); NaN when the
// four counts sum to 0 (no rows) or are NaN.
double Precision(const BinaryCounts& c);
double Recall(const BinaryCounts& c);
double F1(const BinaryCounts& c);

// Equal-width bins on [0, 1], as calibration_curve(strategy="uniform") but weighted: with edges
// e_b = b * (1.0 / bins) (numpy.linspace), bin b holds e_b < p <= e_{b+1}, bin 0 also p = 0
// (numpy.searchsorted on the inner edges), so a probability of exactly 1 goes into the last bin
// and one exactly on an inner edge into the bin below it. Bins of zero total weight are omitted;
// the rest come in increasing order. `lower`/`upper` are the bin's edges, `mean_predicted` and
// `fraction_positive` the weighted means of p and of the label, `weight` the bin's total weight,
// `rows` its row count. Empty when a probability is NaN.
// REQUIRES: bins >= 1; every probability in [0, 1] or NaN.
struct CalibrationBin {
  double lower = 0, upper = 0, mean_predicted = 0, fraction_positive = 0, weight = 0;
  int64_t rows = 0;
};
std::vector<CalibrationBin> CalibrationBins(const std::vector<float>& probs,
                                            const std::vector<float>& labels,
                                            const std::vector<float>& weights = {}, int bins = 10);

// Expected calibration error: the sum over CalibrationBins of
// (weight_b / total weight) * |fraction_positive_b - mean_predicted_b|.
double ExpectedCalibrationError(const std::vector<float>& probs, const std::vector<float>& labels,
                                const std::vector<float>& weights = {}, int bins = 10);

// ---- Multiclass: row-major probabilities `probs` ([N, k]) against class ids 0..k-1 held as
// floats in `labels` (N). The predicted class is the most probable one, the first on ties
// (numpy.argmax). Rows need not sum to 1 (scikit-learn only warns).
// REQUIRES: k >= 1; probs.size() == labels.size() * k; every label an integer in [0, k).

// Weighted mean of -log clip(p_y), p_y the probability of the true class, clipped to
// [FLT_EPSILON, 1 - FLT_EPSILON] (log_loss(y, P, labels=range(k)) on float32 P; see LogLoss).
double MulticlassLogLoss(const std::vector<float>& probs, int64_t k,
                         const std::vector<float>& labels, const std::vector<float>& weights = {});
// Weighted share of rows whose predicted class is the label.
double MulticlassAccuracy(const std::vector<float>& probs, int64_t k,
                          const std::vector<float>& labels, const std::vector<float>& weights = {});
// Unweighted mean over the classes that occur among the labels or the predicted classes (of any
// row, zero-weight rows included) of the weighted F1 = 2 TP / (2 TP + FP + FN), 0 where that
// denominator is 0: f1_score(y, argmax, average="macro", sample_weight=w).
double MacroF1(const std::vector<float>& probs, int64_t k, const std::vector<float>& labels,
               const std::vector<float>& weights = {});

// ---- Regression: `preds` against `labels`. REQUIRES: equal sizes.

// sqrt of the weighted mean squared error (root_mean_squared_error).
double Rmse(const std::vector<float>& preds, const std::vector<float>& labels,
            const std::vector<float>& weights = {});
// Weighted mean absolute error (mean_absolute_error).
double Mae(const std::vector<float>& preds, const std::vector<float>& labels,
           const std::vector<float>& weights = {});
// 1 - SS_res / SS_tot with weighted sums around the weighted mean label (r2_score). NaN when
// SS_tot = 0 (constant labels), where r2_score's force_finite would report 1.0 or 0.0.
double R2(const std::vector<float>& preds, const std::vector<float>& labels,
          const std::vector<float>& weights = {});
// Weighted mean of |p - y| / max(|y|, DBL_EPSILON) (mean_absolute_percentage_error: a label of 0
// divides by 2.2e-16, so the value is huge rather than infinite). A fraction, not a percent.
double Mape(const std::vector<float>& preds, const std::vector<float>& labels,
            const std::vector<float>& weights = {});

// ---- Curves for the report. Points in order; when there are more than `max_points`, every
// (n - 1) / (max_points - 1)-th point is kept (indices rounded), the first and last always.
// Rows of zero weight are left out (they would add thresholds at which nothing changes, as
// scikit-learn drops them). Empty when a class has zero total weight or a score is NaN.
// REQUIRES: max_points >= 2.
struct CurvePoint {
  double x = 0, y = 0;
};
// (false positive rate, true positive rate): (0, 0), then one point per distinct score,
// descending, ending at (1, 1); roc_curve(drop_intermediate=False).
std::vector<CurvePoint> RocCurve(const std::vector<float>& scores, const std::vector<float>& labels,
                                 const std::vector<float>& weights = {}, size_t max_points = 200);
// (recall, precision): (0, 1), then one point per distinct score, descending, so recall
// increases to 1; precision_recall_curve's points in reverse order.
std::vector<CurvePoint> PrCurve(const std::vector<float>& scores, const std::vector<float>& labels,
                                const std::vector<float>& weights = {}, size_t max_points = 200);

// ---- Product metrics.

// The payoff of each outcome of acting on a row (acting iff p >= threshold): each vector holds
// either 1 value (the same for every row) or one per row.
struct Payoff {
  std::vector<float> tp, fp, fn, tn;
};
// Expected value per row of acting on p >= threshold: the weighted mean over rows of the payoff
// of the row's outcome (tp: acted on a positive, fp: acted on a negative, fn: a positive left
// alone, tn: a negative left alone). REQUIRES: each payoff vector has 1 or labels.size() values.
double ExpectedValue(const std::vector<float>& probs, const std::vector<float>& labels,
                     const std::vector<float>& weights, double threshold, const Payoff& payoff);

// The first ceil(fraction * N) rows (computed in double) by score, descending, ties broken by row
// index (a stable sort; NaN scores last): weighted precision (positive share of the selected
// weight), recall (share of all positive weight captured) and lift (precision / overall
// weighted positive rate), each NaN where its denominator is 0; `rows` the rows selected.
// REQUIRES: 0 < fraction <= 1.
struct TopFraction {
  double precision = 0, recall = 0, lift = 0;
  int64_t rows = 0;
};
TopFraction TopFractionMetrics(const std::vector<float>& scores, const std::vector<float>& labels,
                               const std::vector<float>& weights, double fraction);

// ---- The metrics of a task, as eval.json records them.

// Settings of the metrics that have them: the decision threshold of accuracy, precision, recall
// and f1, and the bin count of ece.
struct MetricOptions {
  double threshold = 0.5;
  int calibration_bins = 10;
};

// The metric names of a task, in this order. binary: auc, pr_auc, log_loss, brier, accuracy,
// precision, recall, f1, ece; multiclass: log_loss, accuracy, macro_f1; regression: rmse, mae,
// r2, mape.
std::vector<std::string> TaskMetricNames(Task task);

// Every metric of TaskMetricNames(task) as a JSON object, NaN as null. `preds` as the trainer
// returns them: binary P(1) per row; multiclass [N, num_classes] probabilities; regression
// predictions. `num_classes` is read for multiclass only.
nlohmann::json TaskMetrics(Task task, int64_t num_classes, const std::vector<float>& preds,
                           const std::vector<float>& labels, const std::vector<float>& weights = {},
                           const MetricOptions& options = {});

// One metric of TaskMetrics by name. Throws std::invalid_argument when `name` is not one of
// TaskMetricNames(task).
double MetricValue(const std::string& name, Task task, int64_t num_classes,
                   const std::vector<float>& preds, const std::vector<float>& labels,
                   const std::vector<float>& weights = {}, const MetricOptions& options = {});

// Whether a larger value of the metric `name` is better: true for auc, pr_auc, accuracy,
// precision, recall, f1, macro_f1 and r2; false for every other name (losses and errors).
bool HigherIsBetter(const std::string& name);

// ---- Paired bootstrap.

// `delta`: metric(A) - metric(B) on all the rows with their weights. `lower`/`upper`: the
// percentile interval of the resampled deltas. `resamples`: the resamples that gave a delta (the
// interval's sample); `dropped`: those whose metric was NaN on either side; the two add up to the
// resamples asked for. lower = upper = NaN when no resample gave a delta.
struct BootstrapInterval {
  double delta = 0, lower = 0, upper = 0;
  int resamples = 0, dropped = 0;
};

// Paired bootstrap of metric(A) - metric(B) on the same rows. Each of `resamples` resamples draws
// N row indices uniformly with replacement, the same rows for both models; a row drawn c times
// counts c times (weight c * w), a row drawn 0 times not at all, as in a resampled table.
// Resample r draws from a counter-based splitmix64 stream keyed by (seed, r), so the result is a
// function of the arguments alone, whatever FRESHET_THREADS says; resamples run in parallel
// (kernels::ParallelFor), and the same seed draws the same rows for every metric. The interval
// holds the (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of the kept deltas, with
// numpy.quantile's default (linear) interpolation. auc and pr_auc sort each model's scores once
// and take each resample's metric in one O(N) pass over that order (1000 resamples of AUC on 1M
// rows: about 5 s on 2 cores); the other metrics, all weighted sums, are computed on every row
// with weight count * weight (equal to the drawn rows themselves up to rounding), macro_f1 on the
// drawn rows themselves (its classes are those that occur among them).
// REQUIRES: `metric` one of TaskMetricNames(task) (else std::invalid_argument); preds_a and
// preds_b of the same size as TaskMetrics wants; resamples >= 0; 0 < confidence < 1.
BootstrapInterval PairedBootstrap(const std::string& metric, Task task, int64_t num_classes,
                                  const std::vector<float>& preds_a,
                                  const std::vector<float>& preds_b,
                                  const std::vector<float>& labels,
                                  const std::vector<float>& weights, int resamples, uint64_t seed,
                                  double confidence, const MetricOptions& options = {});

// PairedBootstrap of each of `metrics` over the same resamples: each resample's rows are drawn
// once for all of them (the intervals equal separate calls'), in one pass over the resamples.
std::vector<BootstrapInterval> PairedBootstraps(
    const std::vector<std::string>& metrics, Task task, int64_t num_classes,
    const std::vector<float>& preds_a, const std::vector<float>& preds_b,
    const std::vector<float>& labels, const std::vector<float>& weights, int resamples,
    uint64_t seed, double confidence, const MetricOptions& options = {});

}  // namespace freshet
