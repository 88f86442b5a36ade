// Binary classification metrics over P(1) per row: log loss, Brier, thresholded counts and
// calibration. (AUC and average precision live in curves.cc.)
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "eval/metrics_internal.h"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {

namespace metrics_internal {

void CheckRows(size_t values, const std::vector<float>& labels, const std::vector<float>& weights,
               const char* what) {
  FRESHET_CHECK(values == labels.size(), std::string(what) + " and labels differ in length");
  FRESHET_CHECK(labels.size() < (size_t{1} << 32), "metrics take fewer than 2^32 rows");
  if (weights.empty()) return;
  FRESHET_CHECK(weights.size() == labels.size(), "weights and labels differ in length");
  for (float w : weights) {
    FRESHET_CHECK(std::isfinite(w) && w >= 0, "row weights must be finite and >= 0");
  }
}

bool AnyNan(const std::vector<float>& values) {
  return std::any_of(values.begin(), values.end(), [](float v) { return std::isnan(v); });
}

}  // namespace metrics_internal

using metrics_internal::AnyNan;
using metrics_internal::CheckRows;
using metrics_internal::IsPositive;
using metrics_internal::Nan;
using metrics_internal::WeightAt;
using metrics_internal::WeightedMean;

double LogLoss(const std::vector<float>& probs, const std::vector<float>& labels,
               const std::vector<float>& weights) {
  CheckRows(probs.size(), labels, weights, "probabilities");
  if (AnyNan(probs)) return Nan();
  return WeightedMean(probs.size(), weights, [&](size_t i) {
    // In float, as sklearn does on a float32 y_proba: the column [1 - p, p], then the clip.
    const float q = IsPositive(labels[i]) ? probs[i] : 1.0f - probs[i];
    return -std::log(static_cast<double>(std::clamp(q, FLT_EPSILON, 1.0f - FLT_EPSILON)));
  });
}

double Brier(const std::vector<float>& probs, const std::vector<float>& labels,
             const std::vector<float>& weights) {
  CheckRows(probs.size(), labels, weights, "probabilities");
  if (AnyNan(probs)) return Nan();
  return WeightedMean(probs.size(), weights, [&](size_t i) {
    const double d = static_cast<double>(probs[i]) - (IsPositive(labels[i]) ? 1.0 : 0.0);
    return d * d;
  });
}

double Accuracy(const std::vector<float>& probs, const std::vector<float>& labels,
                const std::vector<float>& weights, double threshold) {
  CheckRows(probs.size(), labels, weights, "probabilities");
  if (AnyNan(probs)) return Nan();
  return WeightedMean(probs.size(), weights, [&](size_t i) {
    return (static_cast<double>(probs[i]) >= threshold) == IsPositive(labels[i]) ? 1.0 : 0.0;
  });
}

BinaryCounts Confusion(const std::vector<float>& probs, const std::vector<float>& labels,
                       const std::vector<float>& weights, double threshold) {
  CheckRows(probs.size(), labels, weights, "probabilities");
  if (AnyNan(probs)) return {Nan(), Nan(), Nan(), Nan()};
  BinaryCounts c;
  for (size_t i = 0; i < probs.size(); ++i) {
    const double w = WeightAt(weights, i);
    const bool predicted = static_cast<double>(probs[i]) >= threshold;
    if (IsPositive(labels[i])) {
      (predicted ? c.tp : c.fn) += w;
    } else {
      (predicted ? c.fp : c.tn) += w;
    }
  }
  return c;
}

namespace {

// num / den, 0 where den == 0 (sklearn's zero_division=0), NaN for counts of no weight at all;
// NaN counts stay NaN.
double DivideOrZero(const BinaryCounts& c, double num, double den) {
  if (!(c.tp + c.fp + c.fn + c.tn > 0)) return Nan();
  return den == 0 ? 0.0 : num / den;
}

}  // namespace

double Precision(const BinaryCounts& c) { return DivideOrZero(c, c.tp, c.tp + c.fp); }
double Recall(const BinaryCounts& c) { return DivideOrZero(c, c.tp, c.tp + c.fn); }
double F1(const BinaryCounts& c) { return DivideOrZero(c, 2 * c.tp, 2 * c.tp + c.fp + c.fn); }

std::vector<CalibrationBin> CalibrationBins(const std::vector<float>& probs,
                                            const std::vector<float>& labels,
                                            const std::vector<float>& weights, int bins) {
  CheckRows(probs.size(), labels, weights, "probabilities");
  FRESHET_CHECK(bins >= 1, "calibration needs at least one bin");
  if (AnyNan(probs)) return {};
  // numpy.linspace(0, 1, bins + 1): e_b = b * step, the last edge exactly 1.
  const double step = 1.0 / bins;
  std::vector<double> edges(bins + 1);
  for (int b = 0; b <= bins; ++b) edges[b] = b * step;
  edges[bins] = 1.0;
  std::vector<CalibrationBin> all(bins);
  for (size_t i = 0; i < probs.size(); ++i) {
    const double p = probs[i];
    FRESHET_CHECK(p >= 0 && p <= 1, "calibration takes probabilities in [0, 1]");
    // searchsorted(edges[1:-1], p, side="left"): the inner edges strictly below p.
    const int b = static_cast<int>(std::lower_bound(edges.begin() + 1, edges.end() - 1, p) -
                                   (edges.begin() + 1));
    const double w = WeightAt(weights, i);
    CalibrationBin& bin = all[b];
    bin.mean_predicted += w * p;
    bin.fraction_positive += IsPositive(labels[i]) ? w : 0.0;
    bin.weight += w;
    ++bin.rows;
  }
  std::vector<CalibrationBin> out;
  for (int b = 0; b < bins; ++b) {
    CalibrationBin bin = all[b];
    if (!(bin.weight > 0)) continue;
    bin.lower = edges[b];
    bin.upper = edges[b + 1];
    bin.mean_predicted /= bin.weight;
    bin.fraction_positive /= bin.weight;
    out.push_back(bin);
  }
  return out;
}

double ExpectedCalibrationError(const std::vector<float>& probs, const std::vector<float>& labels,
                                const std::vector<float>& weights, int bins) {
  const std::vector<CalibrationBin> all = CalibrationBins(probs, labels, weights, bins);
  double total = 0.0, sum = 0.0;
  for (const CalibrationBin& b : all) {
    total += b.weight;
    sum += b.weight * std::abs(b.fraction_positive - b.mean_predicted);
  }
  return total > 0 ? sum / total : Nan();
}

}  // namespace freshet
