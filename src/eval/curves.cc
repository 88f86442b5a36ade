// The weighted binary curve over distinct thresholds, its areas (AUC, average precision) and the
// ROC and precision-recall curves of the report.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "eval/metrics_internal.h"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {

namespace metrics_internal {

std::vector<uint32_t> DescendingOrder(const std::vector<float>& scores,
                                      const std::vector<float>& weights) {
  // Keys that sort ascending as the scores descend: flip the order of the float bits.
  const size_t n = scores.size();
  std::vector<uint32_t> key, row;
  key.reserve(n);
  row.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(WeightAt(weights, i) > 0)) continue;
    const float x = scores[i] == 0 ? 0.0f : scores[i];
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    key.push_back((b >> 31) ? b : ~(b | 0x80000000u));
    row.push_back(static_cast<uint32_t>(i));
  }
  // Four stable passes of a byte each: equal keys keep their ascending rows.
  std::vector<uint32_t> key2(key.size()), row2(row.size());
  for (int shift = 0; shift < 32; shift += 8) {
    size_t start[257] = {};
    for (uint32_t k : key) ++start[((k >> shift) & 0xFF) + 1];
    if (start[((key.empty() ? 0 : key[0]) >> shift & 0xFF) + 1] == key.size()) continue;
    for (int b = 0; b < 256; ++b) start[b + 1] += start[b];
    for (size_t i = 0; i < key.size(); ++i) {
      const size_t at = start[(key[i] >> shift) & 0xFF]++;
      key2[at] = key[i];
      row2[at] = row[i];
    }
    key.swap(key2);
    row.swap(row2);
  }
  return row;
}

BinaryCurve ComputeBinaryCurve(const std::vector<float>& scores, const std::vector<float>& labels,
                               const std::vector<float>& weights) {
  // Descending score, ascending row on ties: a total order, so the result is sklearn's stable one.
  const std::vector<uint32_t> rows = DescendingOrder(scores, weights);
  BinaryCurve curve;
  double tp = 0.0, fp = 0.0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double w = WeightAt(weights, rows[i]);
    if (IsPositive(labels[rows[i]])) {
      tp += w;
    } else {
      fp += w;
    }
    if (i + 1 == rows.size() || scores[rows[i + 1]] != scores[rows[i]]) {
      curve.tps.push_back(tp);
      curve.fps.push_back(fp);
    }
  }
  return curve;
}

double AucFromCurve(const BinaryCurve& curve) {
  const double p = curve.positives(), n = curve.negatives();
  if (!(p > 0) || !(n > 0)) return Nan();
  double area = 0.0, tp_prev = 0.0, fp_prev = 0.0;
  for (size_t i = 0; i < curve.tps.size(); ++i) {
    area += (curve.fps[i] - fp_prev) * (curve.tps[i] + tp_prev);
    tp_prev = curve.tps[i];
    fp_prev = curve.fps[i];
  }
  return area / (2.0 * p * n);
}

double ApFromCurve(const BinaryCurve& curve) {
  const double p = curve.positives();
  if (!(p > 0)) return Nan();
  double sum = 0.0, tp_prev = 0.0;
  for (size_t i = 0; i < curve.tps.size(); ++i) {
    const double tp = curve.tps[i];
    if (tp > tp_prev) sum += (tp - tp_prev) * (tp / (tp + curve.fps[i]));
    tp_prev = tp;
  }
  return std::max(0.0, sum / p);
}

}  // namespace metrics_internal

using metrics_internal::AnyNan;
using metrics_internal::BinaryCurve;
using metrics_internal::CheckRows;
using metrics_internal::ComputeBinaryCurve;

namespace {

// Keeps max_points of `points`, evenly spaced by index, the first and the last among them.
std::vector<CurvePoint> Thin(std::vector<CurvePoint> points, size_t max_points) {
  FRESHET_CHECK(max_points >= 2, "a curve needs at least 2 points");
  const size_t n = points.size();
  if (n <= max_points) return points;
  std::vector<CurvePoint> kept(max_points);
  for (size_t i = 0; i < max_points; ++i) {
    const double at =
        static_cast<double>(i) * static_cast<double>(n - 1) / static_cast<double>(max_points - 1);
    kept[i] = points[std::min(n - 1, static_cast<size_t>(std::llround(at)))];
  }
  kept.back() = points.back();
  return kept;
}

// The curve of the scores, or an empty one (NaN score, a class of zero weight).
BinaryCurve CurveOrEmpty(const std::vector<float>& scores, const std::vector<float>& labels,
                         const std::vector<float>& weights) {
  CheckRows(scores.size(), labels, weights, "scores");
  if (AnyNan(scores)) return {};
  BinaryCurve curve = ComputeBinaryCurve(scores, labels, weights);
  if (!(curve.positives() > 0) || !(curve.negatives() > 0)) return {};
  return curve;
}

}  // namespace

double RocAuc(const std::vector<float>& scores, const std::vector<float>& labels,
              const std::vector<float>& weights) {
  CheckRows(scores.size(), labels, weights, "scores");
  if (AnyNan(scores)) return metrics_internal::Nan();
  return metrics_internal::AucFromCurve(ComputeBinaryCurve(scores, labels, weights));
}

double AveragePrecision(const std::vector<float>& scores, const std::vector<float>& labels,
                        const std::vector<float>& weights) {
  CheckRows(scores.size(), labels, weights, "scores");
  if (AnyNan(scores)) return metrics_internal::Nan();
  return metrics_internal::ApFromCurve(ComputeBinaryCurve(scores, labels, weights));
}

std::vector<CurvePoint> RocCurve(const std::vector<float>& scores, const std::vector<float>& labels,
                                 const std::vector<float>& weights, size_t max_points) {
  const BinaryCurve curve = CurveOrEmpty(scores, labels, weights);
  if (curve.tps.empty()) return {};
  const double p = curve.positives(), n = curve.negatives();
  std::vector<CurvePoint> points;
  points.reserve(curve.tps.size() + 1);
  points.push_back({0.0, 0.0});
  for (size_t i = 0; i < curve.tps.size(); ++i)
    points.push_back({curve.fps[i] / n, curve.tps[i] / p});
  return Thin(std::move(points), max_points);
}

std::vector<CurvePoint> PrCurve(const std::vector<float>& scores, const std::vector<float>& labels,
                                const std::vector<float>& weights, size_t max_points) {
  const BinaryCurve curve = CurveOrEmpty(scores, labels, weights);
  if (curve.tps.empty()) return {};
  const double p = curve.positives();
  std::vector<CurvePoint> points;
  points.reserve(curve.tps.size() + 1);
  points.push_back({0.0, 1.0});
  for (size_t i = 0; i < curve.tps.size(); ++i) {
    const double selected = curve.tps[i] + curve.fps[i];
    points.push_back({curve.tps[i] / p, selected > 0 ? curve.tps[i] / selected : 0.0});
  }
  return Thin(std::move(points), max_points);
}

}  // namespace freshet
