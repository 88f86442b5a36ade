#include "eval/bootstrap_sorted.h"

#include <algorithm>
#include <type_traits>

#include "eval/metrics_internal.h"

namespace freshet::bootstrap_internal {
namespace {

constexpr uint32_t kRowMask = (1u << 29) - 1;
constexpr uint32_t kPositive = 1u << 29;
constexpr uint32_t kGroupStart = 1u << 30;
constexpr uint32_t kGroupEnd = 1u << 31;

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

// kLanes doubles in one value: a 16-byte vector (SSE2 or NEON registers), with GCC's and Clang's
// vector extensions. The lanes' counts, their sums and AUC's sum are whole numbers below 2^53 (the
// rows fewer than kMaxLaneRows), so they are exact in doubles.
using Lane = double __attribute__((vector_size(kLanes * sizeof(double))));

// The byte counts as doubles, by lookup (cheaper than converting each byte).
struct ByteToDouble {
  double value[256];
  ByteToDouble() {
    for (int i = 0; i < 256; ++i) value[i] = i;
  }
};
const ByteToDouble kByteToDouble;

Lane LoadLane(const uint8_t* c) {
  Lane out;
  for (int l = 0; l < kLanes; ++l) out[l] = kByteToDouble.value[c[l]];
  return out;
}
Lane LoadLane(const uint32_t* c) {
  Lane out;
  for (int l = 0; l < kLanes; ++l) out[l] = static_cast<double>(c[l]);
  return out;
}

// The state of SortedPassLanes' scan, one lane per resample: the positive count so far (tp), the
// count so far (cum), the positive count above the current group (above) and at the last term of
// average precision (tp_end), AUC's sum, and the floating-point sums.
struct Lanes {
  Lane tp = {}, cum = {}, above = {}, tp_end = {}, auc = {}, ap = {}, log_loss = {}, squared = {};
};

// Positions [begin, end) of the scan; *score gets each lane's sum of count * score over them.
template <typename Count, bool WithAp, bool WithSums>
void LaneRun(const SortedScores& s, const Count* counts, uint32_t begin, uint32_t end, Lanes* st,
             Lane* score) {
  Lanes t = *st;
  Lane ps = {};
  const Lane one = Lane{} + 1.0;
  for (uint32_t j = begin; j < end; ++j) {
    const uint32_t e = s.entry[j];
    const Lane c = LoadLane(counts + static_cast<size_t>(e & kRowMask) * kLanes);
    const Lane pos = c * static_cast<double>((e >> 29) & 1);
    if (e & kGroupStart) t.above = t.tp;
    t.auc += (c - pos) * t.above;
    t.tp += pos;
    t.cum += c;
    if constexpr (WithSums) {
      t.log_loss += c * s.log_loss[j];
      t.squared += c * s.squared[j];
      ps += c * static_cast<double>(s.score[j]);
    }
    if constexpr (WithAp) {
      // A lane whose group drew no positive adds 0 * (tp / cum): its sum stays as it is.
      if (s.ap_term[j]) {
        t.ap += (t.tp - t.tp_end) * (t.tp / (t.cum > 0.5 ? t.cum : one));
        t.tp_end = t.tp;
      }
    }
  }
  *st = t;
  *score = ps;
}

template <typename Count, bool WithAp, bool WithSums>
void LanePass(const SortedScores& s, const Count* counts, int bins, SortedSums* out) {
  Lanes st;
  Lane score = {};
  const auto n = static_cast<uint32_t>(s.entry.size());
  if constexpr (WithSums) {
    // Counts at the ends of the runs give each bin's counts and the confusion matrix.
    Lane tp_predicted = {}, predicted = {};
    for (int l = 0; l < kLanes; ++l) {
      BinarySums& b = out[l].sums;
      b = BinarySums();
      b.bin_weight.assign(bins, 0.0);
      b.bin_p.assign(bins, 0.0);
      b.bin_positive.assign(bins, 0.0);
    }
    for (const SortedScores::Run& r : s.runs) {
      const Lane tp0 = st.tp, cum0 = st.cum;
      LaneRun<Count, WithAp, true>(s, counts, r.begin, r.end, &st, &score);
      const Lane run_tp = st.tp - tp0, run_count = st.cum - cum0;
      for (int l = 0; l < kLanes; ++l) {
        BinarySums& b = out[l].sums;
        b.bin_weight[r.bin] += run_count[l];
        b.bin_positive[r.bin] += run_tp[l];
        b.bin_p[r.bin] += score[l];
      }
      if (r.predicted) {
        tp_predicted += run_tp;
        predicted += run_count;
      }
    }
    for (int l = 0; l < kLanes; ++l) {
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
    LaneRun<Count, WithAp, false>(s, counts, 0, n, &st, &score);
  }
  for (int l = 0; l < kLanes; ++l) {
    int64_t ties = 0;
    for (const auto& [begin, end] : s.ties) {
      int64_t tp_group = 0, fp_group = 0;
      for (uint32_t j = begin; j < end; ++j) {
        const int64_t c = counts[static_cast<size_t>(s.entry[j] & kRowMask) * kLanes + l];
        (s.entry[j] & kPositive ? tp_group : fp_group) += c;
      }
      ties += tp_group * fp_group;
    }
    out[l].auc = AucOf(st.auc[l], static_cast<double>(ties), st.tp[l], st.cum[l] - st.tp[l]);
    if constexpr (WithAp) {
      const double p = st.tp[l];
      out[l].ap = p > 0 ? std::max(0.0, st.ap[l] / p) : metrics_internal::Nan();
    }
  }
}

template <typename Count>
void LanesOf(const SortedScores& s, const Count* counts, bool ap, bool sums, int bins,
             SortedSums* out) {
  if (s.nan) return;
  sums = sums && !s.runs.empty();
  if (ap) {
    sums ? LanePass<Count, true, true>(s, counts, bins, out)
         : LanePass<Count, true, false>(s, counts, bins, out);
  } else {
    sums ? LanePass<Count, false, true>(s, counts, bins, out)
         : LanePass<Count, false, false>(s, counts, bins, out);
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

void SortedPassLanes(const SortedScores& s, const uint8_t* counts, bool ap, bool sums, int bins,
                     SortedSums* out) {
  LanesOf(s, counts, ap, sums, bins, out);
}

void SortedPassLanes(const SortedScores& s, const uint32_t* counts, bool ap, bool sums, int bins,
                     SortedSums* out) {
  LanesOf(s, counts, ap, sums, bins, out);
}

double SortedSumsMetric(const std::string& metric, const SortedScores& s, const SortedSums& out) {
  if (s.nan) return metrics_internal::Nan();
  if (metric == "auc") return out.auc;
  if (metric == "pr_auc") return out.ap;
  return BinarySumMetric(metric, s.nan, out.sums);
}

}  // namespace freshet::bootstrap_internal
