#include "eval/bootstrap_sums.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "eval/metrics_internal.h"

namespace freshet::bootstrap_internal {

using metrics_internal::IsPositive;
using metrics_internal::Nan;

bool IsBinarySum(const std::string& m) {
  return m == "log_loss" || m == "brier" || m == "accuracy" || m == "precision" || m == "recall" ||
         m == "f1" || m == "ece";
}

BinaryTerms ComputeBinaryTerms(const std::vector<float>& probs, const std::vector<float>& labels,
                               const MetricOptions& options) {
  BinaryTerms t;
  t.nan = metrics_internal::AnyNan(probs);
  if (t.nan) return t;
  const size_t n = probs.size();
  t.log_loss.resize(n);
  t.squared.resize(n);
  t.p.resize(n);
  t.predicted.resize(n);
  t.bin.resize(n);
  // The edges of CalibrationBins: numpy.linspace(0, 1, bins + 1).
  const int bins = options.calibration_bins;
  std::vector<double> edges(bins + 1);
  for (int b = 0; b <= bins; ++b) edges[b] = b * (1.0 / bins);
  edges[bins] = 1.0;
  for (size_t i = 0; i < n; ++i) {
    const bool pos = IsPositive(labels[i]);
    const float q = pos ? probs[i] : 1.0f - probs[i];
    t.log_loss[i] = -std::log(static_cast<double>(std::clamp(q, FLT_EPSILON, 1.0f - FLT_EPSILON)));
    const double p = probs[i];
    const double d = p - (pos ? 1.0 : 0.0);
    t.squared[i] = d * d;
    t.p[i] = p;
    t.predicted[i] = p >= options.threshold;
    t.bin[i] = static_cast<uint16_t>(std::lower_bound(edges.begin() + 1, edges.end() - 1, p) -
                                     (edges.begin() + 1));
  }
  return t;
}

namespace {

void Add(const BinaryTerms& t, size_t i, bool pos, double cw, BinarySums* s) {
  s->weight += cw;
  s->log_loss += cw * t.log_loss[i];
  s->squared += cw * t.squared[i];
  const bool predicted = t.predicted[i] != 0;
  s->correct += predicted == pos ? cw : 0.0;
  if (pos) {
    (predicted ? s->tp : s->fn) += cw;
  } else {
    (predicted ? s->fp : s->tn) += cw;
  }
  const uint16_t b = t.bin[i];
  s->bin_weight[b] += cw;
  s->bin_p[b] += cw * t.p[i];
  s->bin_positive[b] += pos ? cw : 0.0;
}

void Reset(BinarySums* s, int bins) {
  *s = BinarySums();
  s->bin_weight.assign(bins, 0.0);
  s->bin_p.assign(bins, 0.0);
  s->bin_positive.assign(bins, 0.0);
}

double DivideOrZero(const BinarySums& s, double num, double den) {
  if (!(s.tp + s.fp + s.fn + s.tn > 0)) return Nan();
  return den == 0 ? 0.0 : num / den;
}

}  // namespace

void AccumulateBinary(const BinaryTerms& a, const BinaryTerms& b, const std::vector<float>& labels,
                      const std::vector<float>& weights, const std::vector<uint32_t>& counts,
                      int bins, BinarySums* sa, BinarySums* sb) {
  Reset(sa, bins);
  Reset(sb, bins);
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const double cw = static_cast<double>(counts[i]) * metrics_internal::WeightAt(weights, i);
    if (cw == 0) continue;
    const bool pos = IsPositive(labels[i]);
    if (!a.nan) Add(a, i, pos, cw, sa);
    if (!b.nan) Add(b, i, pos, cw, sb);
  }
}

double BinarySumMetric(const std::string& m, bool nan, const BinarySums& s) {
  if (nan) return Nan();
  const double w = s.weight;
  if (m == "log_loss") return w > 0 ? s.log_loss / w : Nan();
  if (m == "brier") return w > 0 ? s.squared / w : Nan();
  if (m == "accuracy") return w > 0 ? s.correct / w : Nan();
  if (m == "precision") return DivideOrZero(s, s.tp, s.tp + s.fp);
  if (m == "recall") return DivideOrZero(s, s.tp, s.tp + s.fn);
  if (m == "f1") return DivideOrZero(s, 2 * s.tp, 2 * s.tp + s.fp + s.fn);
  // ece: the weighted mean of |fraction positive - mean predicted| over the bins with weight.
  double total = 0, sum = 0;
  for (size_t b = 0; b < s.bin_weight.size(); ++b) {
    const double bw = s.bin_weight[b];
    if (!(bw > 0)) continue;
    total += bw;
    sum += bw * std::abs(s.bin_positive[b] / bw - s.bin_p[b] / bw);
  }
  return total > 0 ? sum / total : Nan();
}

}  // namespace freshet::bootstrap_internal
