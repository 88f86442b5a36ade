// Product metrics: the expected value of acting on a threshold and the top-fraction metrics.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "eval/metrics_internal.h"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {

using metrics_internal::AnyNan;
using metrics_internal::CheckRows;
using metrics_internal::IsPositive;
using metrics_internal::Nan;
using metrics_internal::WeightAt;

namespace {

double PayoffAt(const std::vector<float>& values, size_t i) {
  return values.size() == 1 ? values[0] : values[i];
}

}  // namespace

double ExpectedValue(const std::vector<float>& probs, const std::vector<float>& labels,
                     const std::vector<float>& weights, double threshold, const Payoff& payoff) {
  CheckRows(probs.size(), labels, weights, "probabilities");
  for (const std::vector<float>* v : {&payoff.tp, &payoff.fp, &payoff.fn, &payoff.tn}) {
    FRESHET_CHECK(v->size() == 1 || v->size() == labels.size(),
                  "a payoff holds 1 value or one per row");
  }
  if (AnyNan(probs)) return Nan();
  double sum = 0.0, total = 0.0;
  for (size_t i = 0; i < probs.size(); ++i) {
    const double w = WeightAt(weights, i);
    if (w == 0) continue;
    const bool acted = static_cast<double>(probs[i]) >= threshold;
    const std::vector<float>& v =
        IsPositive(labels[i]) ? (acted ? payoff.tp : payoff.fn) : (acted ? payoff.fp : payoff.tn);
    sum += w * PayoffAt(v, i);
    total += w;
  }
  return total > 0 ? sum / total : Nan();
}

TopFraction TopFractionMetrics(const std::vector<float>& scores, const std::vector<float>& labels,
                               const std::vector<float>& weights, double fraction) {
  CheckRows(scores.size(), labels, weights, "scores");
  FRESHET_CHECK(fraction > 0 && fraction <= 1, "the top fraction must be in (0, 1]");
  const size_t n = scores.size();
  TopFraction out;
  const size_t take =
      std::min(n, static_cast<size_t>(std::ceil(fraction * static_cast<double>(n))));
  out.rows = static_cast<int64_t>(take);
  // Score descending, NaN last, ties by row: a strict total order, so nth_element picks exactly
  // the rows a stable descending sort puts first.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  auto before = [&](uint32_t a, uint32_t b) {
    const bool na = std::isnan(scores[a]), nb = std::isnan(scores[b]);
    if (na != nb) return nb;
    if (!na && scores[a] != scores[b]) return scores[a] > scores[b];
    return a < b;
  };
  if (take < n) std::nth_element(order.begin(), order.begin() + take, order.end(), before);
  double all_w = 0.0, all_pos = 0.0, top_w = 0.0, top_pos = 0.0;
  for (size_t j = 0; j < n; ++j) {
    const size_t i = order[j];
    const double w = WeightAt(weights, i);
    const double pos = IsPositive(labels[i]) ? w : 0.0;
    all_w += w;
    all_pos += pos;
    if (j < take) {
      top_w += w;
      top_pos += pos;
    }
  }
  out.precision = top_w > 0 ? top_pos / top_w : Nan();
  out.recall = all_pos > 0 ? top_pos / all_pos : Nan();
  const double base = all_w > 0 ? all_pos / all_w : Nan();
  out.lift = base > 0 ? out.precision / base : Nan();
  return out;
}

}  // namespace freshet
