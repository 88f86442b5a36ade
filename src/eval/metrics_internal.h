// Helpers shared by the metric files of src/eval/ (metrics*.cc, curves.cc, product_metrics.cc,
// bootstrap.cc). Not a public header.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

namespace freshet::metrics_internal {

inline double Nan() { return std::numeric_limits<double>::quiet_NaN(); }

inline bool IsPositive(float label) { return label > 0.5f; }

// The weight of row i: 1 when `weights` is empty.
inline double WeightAt(const std::vector<float>& weights, size_t i) {
  return weights.empty() ? 1.0 : static_cast<double>(weights[i]);
}

// Throws unless `values` and `labels` have the same size and `weights` is empty or holds one
// finite, non-negative weight per label. `what` names the values in the message.
void CheckRows(size_t values, const std::vector<float>& labels, const std::vector<float>& weights,
               const char* what);

bool AnyNan(const std::vector<float>& values);

// NaN as JSON null, any other value as a number.
inline nlohmann::json Num(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

// The rows in descending order of their score, ties by ascending row (a total order: std::sort's
// answer with that comparator, -0 and +0 tied), leaving out the rows of zero weight. An LSD radix
// sort of the scores' order keys. REQUIRES: no NaN score; weights empty or one per score.
std::vector<uint32_t> DescendingOrder(const std::vector<float>& scores,
                                      const std::vector<float>& weights);

// The weighted cumulative true and false positives at each distinct score, descending (sklearn's
// confusion_matrix_at_thresholds): tps[i] / fps[i] is the weight of the positives / negatives
// whose score is >= the i-th distinct score. Rows of zero weight are left out. Empty when there
// are no rows of positive weight. REQUIRES: no NaN score; sizes checked by the caller.
struct BinaryCurve {
  std::vector<double> tps, fps;
  double positives() const { return tps.empty() ? 0.0 : tps.back(); }
  double negatives() const { return fps.empty() ? 0.0 : fps.back(); }
};
BinaryCurve ComputeBinaryCurve(const std::vector<float>& scores, const std::vector<float>& labels,
                               const std::vector<float>& weights);

// The trapezoidal area under the curve's ROC points; NaN when a class has zero weight.
double AucFromCurve(const BinaryCurve& curve);
// The average precision of the curve; NaN without positive weight.
double ApFromCurve(const BinaryCurve& curve);

// The first index of the largest of row[0..k) (numpy.argmax).
inline int64_t ArgMax(const float* row, int64_t k) {
  int64_t best = 0;
  for (int64_t c = 1; c < k; ++c) {
    if (row[c] > row[best]) best = c;
  }
  return best;
}

// Weighted mean of f(i) over the rows; NaN when the weights sum to 0.
template <typename Fn>
double WeightedMean(size_t n, const std::vector<float>& weights, Fn&& f) {
  double sum = 0.0, total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double w = WeightAt(weights, i);
    if (w == 0) continue;
    sum += w * f(i);
    total += w;
  }
  return total > 0 ? sum / total : Nan();
}

}  // namespace freshet::metrics_internal
