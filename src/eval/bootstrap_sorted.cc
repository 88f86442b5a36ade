#include "eval/bootstrap_sorted.h"

#include <algorithm>
#include <string>
#include <type_traits>

#include "eval/metrics_internal.h"
#include "freshet/error.hpp"
// Last: the scans' templates, built here for 2 lanes.
#include "eval/bootstrap_lanes.h"

namespace freshet::bootstrap_internal {
namespace {

// The resampled weight, count * weight, of the row at position j.
template <typename Acc, typename Count>
Acc WeightAt(const SortedScores& s, const Count* counts, size_t j) {
  const Acc c = static_cast<Acc>(counts[s.entry[j] & kRowMask]);
  if constexpr (std::is_integral_v<Acc>) {
    return c;
  } else {
    return s.weight.empty() ? c : c * s.weight[j];
  }
}

// cw if the row is positive, else 0, without a branch (labels are data, not patterns).
template <typename Acc>
Acc PositivePart(Acc cw, uint32_t e) {
  if constexpr (std::is_integral_v<Acc>) {
    return cw & -static_cast<Acc>((e & kPositive) != 0);
  } else {
    return cw * static_cast<Acc>((e & kPositive) != 0);
  }
}

// The tied groups' half of AUC: the sum over them of (positive weight) * (negative weight).
template <typename Acc, typename Count>
Acc TiedPairs(const SortedScores& s, const Count* counts) {
  Acc ties = 0;
  for (const auto& [begin, end] : s.ties) {
    Acc tp_group = 0, fp_group = 0;
    for (uint32_t j = begin; j < end; ++j) {
      const Acc cw = WeightAt<Acc>(s, counts, j);
      const Acc pos = PositivePart(cw, s.entry[j]);
      tp_group += pos;
      fp_group += cw - pos;
    }
    ties += tp_group * fp_group;
  }
  return ties;
}

double AucOf(double sum, double ties, double p, double q) {
  if (!(p > 0 && q > 0)) return metrics_internal::Nan();
  return (2 * sum + ties) / (2 * p * q);
}

// AUC of the rows weighted by counts * weight, the sum of AucFromCurve in another order:
// P N AUC = sum over negatives of cw * (positive weight above its group) + 1/2 sum over tied
// groups of (their positive weight) * (their negative weight). The first sum takes one
// branch-free pass; the second only visits the tied groups.
template <typename Acc, typename Count>
double SortedAuc(const SortedScores& s, const Count* counts) {
  const size_t n = s.entry.size();
  Acc tp = 0, fp = 0, above = 0, sum = 0;
  for (size_t j = 0; j < n; ++j) {
    const Acc cw = WeightAt<Acc>(s, counts, j);
    const uint32_t e = s.entry[j];
    const Acc pos = PositivePart(cw, e);
    const Acc neg = cw - pos;
    above = (e & kGroupStart) ? tp : above;
    sum += neg * above;
    tp += pos;
    fp += neg;
  }
  return AucOf(static_cast<double>(sum), static_cast<double>(TiedPairs<Acc>(s, counts)),
               static_cast<double>(tp), static_cast<double>(fp));
}

// Average precision of the rows weighted by counts * weight: the sums of ApFromCurve.
template <typename Acc, typename Count>
double SortedAp(const SortedScores& s, const Count* counts) {
  const size_t n = s.entry.size();
  Acc tp = 0, fp = 0, tp_group = 0, fp_group = 0;
  double sum = 0;
  for (size_t j = 0; j < n; ++j) {
    const Acc cw = WeightAt<Acc>(s, counts, j);
    const uint32_t e = s.entry[j];
    const Acc pos = PositivePart(cw, e);
    tp_group += pos;
    fp_group += cw - pos;
    if (e & kGroupEnd) {
      tp += tp_group;
      fp += fp_group;
      if (tp_group > 0) {
        sum += static_cast<double>(tp_group) *
               (static_cast<double>(tp) / static_cast<double>(tp + fp));
      }
      tp_group = fp_group = 0;
    }
  }
  const double p = static_cast<double>(tp);
  return p > 0 ? std::max(0.0, sum / p) : metrics_internal::Nan();
}

// The sums of ints are int64_t for unit weights (exact, and one-cycle adds: every sum is at most
// N^2 / 4 < 2^58, the counts summing to N < 2^29) and double otherwise.
template <typename Count>
double SortedMetricOf(const SortedScores& s, const Count* counts, bool pr) {
  if (s.nan) return metrics_internal::Nan();
  const bool exact = s.weight.empty();
  if (pr) return exact ? SortedAp<int64_t>(s, counts) : SortedAp<double>(s, counts);
  return exact ? SortedAuc<int64_t>(s, counts) : SortedAuc<double>(s, counts);
}

// The lanes' pass with the scans of `scans`: the runs' ends give each bin's counts and the
// confusion matrix, the ties' loop AUC's tied pairs.
template <typename Count>
void LanePass(const LaneScans& scans, const SortedScores& s, const Count* counts, bool ap,
              bool sums, int bins, SortedSums* out) {
  const int lanes = scans.lanes;
  const LaneScan scan = scans.scan[sizeof(Count) == 4][ap][sums];
  const LaneScanInput in{s.entry.data(), s.log_loss.data(), s.squared.data(),
                         s.score.data(), s.ap_term.data(),  counts};
  LaneState st;
  if (sums) {
    double tp_predicted[kMaxLanes] = {}, predicted[kMaxLanes] = {};
    for (int l = 0; l < lanes; ++l) {
      BinarySums& b = out[l].sums;
      b = BinarySums();
      b.bin_weight.assign(bins, 0.0);
      b.bin_p.assign(bins, 0.0);
      b.bin_positive.assign(bins, 0.0);
    }
    for (const SortedScores::Run& r : s.runs) {
      double tp0[kMaxLanes], cum0[kMaxLanes];
      std::copy(st.tp, st.tp + lanes, tp0);
      std::copy(st.cum, st.cum + lanes, cum0);
      scan(in, r.begin, r.end, &st);
      for (int l = 0; l < lanes; ++l) {
        const double run_tp = st.tp[l] - tp0[l], run_count = st.cum[l] - cum0[l];
        BinarySums& b = out[l].sums;
        b.bin_weight[r.bin] += run_count;
        b.bin_positive[r.bin] += run_tp;
        b.bin_p[r.bin] += st.run_score[l];
        if (r.predicted) {
          tp_predicted[l] += run_tp;
          predicted[l] += run_count;
        }
      }
    }
    for (int l = 0; l < lanes; ++l) {
      BinarySums& b = out[l].sums;
      const double negatives = st.cum[l] - st.tp[l], fp = predicted[l] - tp_predicted[l];
      b.weight = st.cum[l];
      b.log_loss = st.log_loss[l];
      b.squared = st.squared[l];
      b.tp = tp_predicted[l];
      b.fp = fp;
      b.fn = st.tp[l] - tp_predicted[l];
      b.tn = negatives - fp;
      b.correct = tp_predicted[l] + negatives - fp;
    }
  } else {
    scan(in, 0, static_cast<uint32_t>(s.entry.size()), &st);
  }
  for (int l = 0; l < lanes; ++l) {
    int64_t ties = 0;
    for (const auto& [begin, end] : s.ties) {
      int64_t tp_group = 0, fp_group = 0;
      for (uint32_t j = begin; j < end; ++j) {
        const int64_t c = counts[static_cast<size_t>(s.entry[j] & kRowMask) * lanes + l];
        (s.entry[j] & kPositive ? tp_group : fp_group) += c;
      }
      ties += tp_group * fp_group;
    }
    out[l].auc = AucOf(st.auc[l], static_cast<double>(ties), st.tp[l], st.cum[l] - st.tp[l]);
    if (ap) {
      const double p = st.tp[l];
      out[l].ap = p > 0 ? std::max(0.0, st.ap[l] / p) : metrics_internal::Nan();
    }
  }
}

template <typename Count>
void LanesOf(const SortedScores& s, int lanes, const Count* counts, bool ap, bool sums, int bins,
             SortedSums* out) {
  FRESHET_CHECK(lanes == 2 || (lanes == kMaxLanes && WidestLanes() == kMaxLanes),
                "the bootstrap's pass cannot take " + std::to_string(lanes) + " lanes here");
  if (s.nan) return;
  sums = sums && !s.runs.empty();
  static const LaneScans kNarrow = NarrowLaneScans();
  if (lanes == 2) {
    LanePass(kNarrow, s, counts, ap, sums, bins, out);
  } else {
    static const LaneScans kWide = WideLaneScans();
    LanePass(kWide, s, counts, ap, sums, bins, out);
  }
}

}  // namespace

SortedScores SortScores(const std::vector<float>& scores, const std::vector<float>& labels,
                        const std::vector<float>& weights, const MetricOptions* terms) {
  SortedScores s;
  s.nan = metrics_internal::AnyNan(scores);
  if (s.nan) return s;
  const size_t n = scores.size();
  const std::vector<uint32_t> order = metrics_internal::DescendingOrder(scores, {});
  const auto score_at = [&](size_t j) { return scores[order[j]]; };
  s.entry.resize(n);
  if (!weights.empty()) s.weight.resize(n);
  size_t group = 0;
  for (size_t j = 0; j < n; ++j) {
    const uint32_t i = order[j];
    const bool start = j == 0 || score_at(j - 1) != score_at(j);
    const bool end = j + 1 == n || score_at(j + 1) != score_at(j);
    if (start) group = j;
    if (end && j > group) s.ties.emplace_back(group, j + 1);
    s.entry[j] = i | (metrics_internal::IsPositive(labels[i]) ? kPositive : 0) |
                 (start ? kGroupStart : 0) | (end ? kGroupEnd : 0);
    if (!weights.empty()) s.weight[j] = weights[i];
  }
  s.ap_term.assign(n, 0);
  bool positive = false;
  for (size_t j = 0; j < n; ++j) {
    positive |= (s.entry[j] & kPositive) != 0;
    if (s.entry[j] & kGroupEnd) {
      s.ap_term[j] = positive;
      positive = false;
    }
  }
  if (terms == nullptr || n == 0) return s;
  const BinaryTerms t = ComputeBinaryTerms(scores, labels, *terms);
  s.log_loss.resize(n);
  s.squared.resize(n);
  s.score.resize(n);
  for (size_t j = 0; j < n; ++j) {
    const uint32_t i = order[j];
    s.log_loss[j] = t.log_loss[i];
    s.squared[j] = t.squared[i];
    s.score[j] = scores[i];
    const uint16_t bin = t.bin[i];
    const bool predicted = t.predicted[i] != 0;
    if (j == 0 || s.runs.back().bin != bin || s.runs.back().predicted != predicted) {
      s.runs.push_back({static_cast<uint32_t>(j), static_cast<uint32_t>(j), bin, predicted});
    }
    s.runs.back().end = static_cast<uint32_t>(j + 1);
  }
  return s;
}

double SortedMetric(const SortedScores& s, const uint8_t* counts, bool pr) {
  return SortedMetricOf(s, counts, pr);
}

double SortedMetric(const SortedScores& s, const uint32_t* counts, bool pr) {
  return SortedMetricOf(s, counts, pr);
}

LaneScans NarrowLaneScans() { return ScansOf<2>(); }

int WidestLanes() {
#if defined(FRESHET_LANES512)
  static const bool kAvx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return kAvx512 ? kMaxLanes : 2;
#else
  return 2;
#endif
}

#if !defined(FRESHET_LANES512)
LaneScans WideLaneScans() { return NarrowLaneScans(); }  // never called: WidestLanes() is 2
#endif

void SortedPassLanes(const SortedScores& s, int lanes, const uint8_t* counts, bool ap, bool sums,
                     int bins, SortedSums* out) {
  LanesOf(s, lanes, counts, ap, sums, bins, out);
}

void SortedPassLanes(const SortedScores& s, int lanes, const uint32_t* counts, bool ap, bool sums,
                     int bins, SortedSums* out) {
  LanesOf(s, lanes, counts, ap, sums, bins, out);
}

double SortedSumsMetric(const std::string& metric, const SortedScores& s, const SortedSums& out) {
  if (s.nan) return metrics_internal::Nan();
  if (metric == "auc") return out.auc;
  if (metric == "pr_auc") return out.ap;
  return BinarySumMetric(metric, s.nan, out.sums);
}

}  // namespace freshet::bootstrap_internal
