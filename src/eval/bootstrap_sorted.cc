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

// The integer half of SortedPass, one branch-free scan of the positions: the count of the
// positives so far (tp) and of all rows so far (cum), AUC's sum, and for average precision
// (kAp) (tp, cum) at the end of every group of tied scores that holds a positive, written at
// every position and kept by advancing k (the group's positive count is the step of tp). With
// kSums, each position's count for the floating-point sums (Dots).
struct ScanState {
  int64_t tp = 0, cum = 0, auc = 0;
  uint32_t k = 0;
};

template <typename Count, bool kAp, bool kSums>
ScanState Scan(const SortedScores& s, const Count* counts, SortedScratch* scratch) {
  const auto n = static_cast<uint32_t>(s.entry.size());
  const uint32_t* entry = s.entry.data();
  uint32_t* tp_end = scratch->tp.data();
  uint32_t* cum_end = scratch->selected.data();
  uint32_t* at = scratch->group.data();
  int64_t tp = 0, cum = 0, auc = 0, above = 0, tp_kept = 0;
  uint32_t k = 0;
  for (uint32_t j = 0; j < n; ++j) {
    const uint32_t e = entry[j];
    const int64_t c = counts[e & kRowMask];
    const int64_t pos = c & -static_cast<int64_t>((e >> 29) & 1);
    above = (e & kGroupStart) ? tp : above;
    auc += (c - pos) * above;
    tp += pos;
    cum += c;
    if constexpr (kAp) {
      tp_end[k] = static_cast<uint32_t>(tp);
      cum_end[k] = static_cast<uint32_t>(cum);
      const bool keep = (e & kGroupEnd) != 0 && tp > tp_kept;
      k += keep;
      tp_kept = keep ? tp : tp_kept;
    }
    if constexpr (kSums) at[j] = static_cast<uint32_t>(c);
  }
  return {tp, cum, auc, k};
}

// Sums of count * value over positions [begin, end) in four lanes (the compiler may keep them in
// vector registers; the order of the additions, and so the result, is the same either way).
struct Dots {
  double log_loss[4] = {0, 0, 0, 0}, squared[4] = {0, 0, 0, 0};

  double Add(const SortedScores& s, const uint32_t* counts, uint32_t begin, uint32_t end) {
    double score[4] = {0, 0, 0, 0};
    const double* ll = s.log_loss.data();
    const double* sq = s.squared.data();
    const float* p = s.score.data();
    uint32_t j = begin;
    for (; j + 4 <= end; j += 4) {
      for (int l = 0; l < 4; ++l) {
        const double c = static_cast<double>(counts[j + l]);
        log_loss[l] += c * ll[j + l];
        squared[l] += c * sq[j + l];
        score[l] += c * static_cast<double>(p[j + l]);
      }
    }
    for (int l = 0; j < end; ++j, ++l) {
      const double c = static_cast<double>(counts[j]);
      log_loss[l] += c * ll[j];
      squared[l] += c * sq[j];
      score[l] += c * static_cast<double>(p[j]);
    }
    return (score[0] + score[1]) + (score[2] + score[3]);
  }
};

template <typename Count, bool kAp, bool kSums>
void Pass(const SortedScores& s, const Count* counts, int bins, SortedScratch* scratch,
          SortedSums* out) {
  const size_t n = s.entry.size();
  if (scratch->tp.size() < n + 1) {
    scratch->group.resize(n + 1);
    scratch->tp.resize(n + 1);
    scratch->selected.resize(n + 1);
  }
  const ScanState st = Scan<Count, kAp, kSums>(s, counts, scratch);
  if constexpr (kSums) {
    // Cumulative counts at the ends of the runs give each bin's counts and the confusion matrix.
    BinarySums& b = out->sums;
    b = BinarySums();
    b.bin_weight.assign(bins, 0.0);
    b.bin_p.assign(bins, 0.0);
    b.bin_positive.assign(bins, 0.0);
    const uint32_t* c = scratch->group.data();
    const uint32_t* entry = s.entry.data();
    Dots dots;
    int64_t tp = 0, cum = 0, tp_predicted = 0, predicted = 0;
    for (const SortedScores::Run& r : s.runs) {
      int64_t run_tp = 0, run_count = 0;
      for (uint32_t j = r.begin; j < r.end; ++j) {
        run_count += c[j];
        run_tp += c[j] & -static_cast<int64_t>((entry[j] >> 29) & 1);
      }
      b.bin_weight[r.bin] += static_cast<double>(run_count);
      b.bin_positive[r.bin] += static_cast<double>(run_tp);
      b.bin_p[r.bin] += dots.Add(s, c, r.begin, r.end);
      if (r.predicted) {
        tp_predicted += run_tp;
        predicted += run_count;
      }
      tp += run_tp;
      cum += run_count;
    }
    const int64_t negatives = st.cum - st.tp, fp = predicted - tp_predicted;
    b.weight = static_cast<double>(st.cum);
    b.log_loss = (dots.log_loss[0] + dots.log_loss[1]) + (dots.log_loss[2] + dots.log_loss[3]);
    b.squared = (dots.squared[0] + dots.squared[1]) + (dots.squared[2] + dots.squared[3]);
    b.tp = static_cast<double>(tp_predicted);
    b.fp = static_cast<double>(fp);
    b.fn = static_cast<double>(st.tp - tp_predicted);
    b.tn = static_cast<double>(negatives - fp);
    b.correct = static_cast<double>(tp_predicted + negatives - fp);
  }
  out->auc = AucOf(static_cast<double>(st.auc), static_cast<double>(TiedPairs<int64_t>(s, counts)),
                   static_cast<double>(st.tp), static_cast<double>(st.cum - st.tp));
  if constexpr (kAp) {
    // ApFromCurve's sum, term by term in the same order as SortedAp.
    const uint32_t* tp = scratch->tp.data();
    const uint32_t* cum = scratch->selected.data();
    double sum = 0;
    uint32_t before = 0;
    for (uint32_t k = 0; k < st.k; ++k) {
      sum += static_cast<double>(tp[k] - before) *
             (static_cast<double>(tp[k]) / static_cast<double>(cum[k]));
      before = tp[k];
    }
    const double p = static_cast<double>(st.tp);
    out->ap = p > 0 ? std::max(0.0, sum / p) : metrics_internal::Nan();
  }
}

template <typename Count>
void PassOf(const SortedScores& s, const Count* counts, bool ap, bool sums, int bins,
            SortedScratch* scratch, SortedSums* out) {
  if (s.nan) return;
  sums = sums && !s.runs.empty();
  if (ap) {
    sums ? Pass<Count, true, true>(s, counts, bins, scratch, out)
         : Pass<Count, true, false>(s, counts, bins, scratch, out);
  } else {
    sums ? Pass<Count, false, true>(s, counts, bins, scratch, out)
         : Pass<Count, false, false>(s, counts, bins, scratch, out);
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

void SortedPass(const SortedScores& s, const uint8_t* counts, bool ap, bool sums, int bins,
                SortedScratch* scratch, SortedSums* out) {
  PassOf(s, counts, ap, sums, bins, scratch, out);
}

void SortedPass(const SortedScores& s, const uint32_t* counts, bool ap, bool sums, int bins,
                SortedScratch* scratch, SortedSums* out) {
  PassOf(s, counts, ap, sums, bins, scratch, out);
}

double SortedSumsMetric(const std::string& metric, const SortedScores& s, const SortedSums& out) {
  if (s.nan) return metrics_internal::Nan();
  if (metric == "auc") return out.auc;
  if (metric == "pr_auc") return out.ap;
  return BinarySumMetric(metric, s.nan, out.sums);
}

}  // namespace freshet::bootstrap_internal
