// The O(N) passes of the paired bootstrap over one model's scores in descending order: AUC and
// average precision of a resample without sorting it again, and, for unweighted rows, every
// binary metric in the same pass. Private to src/eval/bootstrap.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "eval/bootstrap_sums.h"
#include "freshet/metrics.hpp"

namespace freshet::bootstrap_internal {

// The sorted passes hold a row in 29 bits.
constexpr size_t kMaxSortedRows = size_t{1} << 29;

// One model's scores in descending order (ties by row). Each position's entry holds its row in
// the low 29 bits and three flags above (positive label, first and last of its group of tied
// scores).
struct SortedScores {
  std::vector<uint32_t> entry;
  std::vector<float> weight;  // the row's weight at each position; empty when unweighted
  // [begin, end) of every group of tied scores with more than one row.
  std::vector<std::pair<uint32_t, uint32_t>> ties;
  bool nan = false;  // a NaN score: every resample's metric is NaN

  // With the sum terms only (see SortScores): each position's log-loss term, squared error and
  // score, as ComputeBinaryTerms computes them; and the runs of positions of one calibration bin
  // and one decision at the threshold (a few: both are monotone in the score).
  struct Run {
    uint32_t begin, end;
    uint16_t bin;
    bool predicted;
  };
  std::vector<double> log_loss, squared;
  std::vector<float> score;
  std::vector<Run> runs;
  // 1 at the last position of each group of tied scores that holds a positive: where average
  // precision takes a term.
  std::vector<uint8_t> ap_term;
};

// Sorts `scores` (a binary model's, one per row) with their labels and weights. `terms`: also the
// per-position terms of the binary sums, with these options (REQUIRES: weights empty). REQUIRES:
// scores.size() == labels.size() < kMaxSortedRows; weights empty or of that size.
SortedScores SortScores(const std::vector<float>& scores, const std::vector<float>& labels,
                        const std::vector<float>& weights, const MetricOptions* terms);

// AUC (pr = false) or average precision (pr = true) of the rows weighted by counts[row] times
// their weight: AucFromCurve / ApFromCurve of the drawn rows, to rounding (exact for unweighted
// rows). `counts` holds one count per row.
double SortedMetric(const SortedScores& s, const uint8_t* counts, bool pr);
double SortedMetric(const SortedScores& s, const uint32_t* counts, bool pr);

// What one pass over unweighted rows gives: AUC and average precision (when asked for), and the
// sums of bootstrap_sums.h (when asked for and `s` has the terms): the counts exactly, the
// log-loss, squared error and per-bin scores in position order (equal to AccumulateBinary's to
// rounding).
struct SortedSums {
  double auc = 0, ap = 0;
  BinarySums sums;
};

// One pass over the positions of `s` (unweighted) for kLanes resamples at once: `counts` holds
// kLanes counts per row (row i's count in resample l at counts[i * kLanes + l]); out[l] (kLanes
// of them) is resample l's: AUC and, with `ap`, average precision (both bit-identical to
// SortedMetric), with `sums` the binary sums (needs `s` sorted with the terms). `bins` as
// MetricOptions::calibration_bins. A NaN model leaves `out` as it is (SortedSumsMetric gives
// NaN). One read of the positions serves every lane, and the lanes share vector instructions.
// REQUIRES: fewer than kMaxLaneRows rows.
constexpr int kLanes = 2;
constexpr size_t kMaxLaneRows = size_t{1} << 26;
void SortedPassLanes(const SortedScores& s, const uint8_t* counts, bool ap, bool sums, int bins,
                     SortedSums* out);
void SortedPassLanes(const SortedScores& s, const uint32_t* counts, bool ap, bool sums, int bins,
                     SortedSums* out);

// `metric` (auc, pr_auc or IsBinarySum) of a pass's sums.
double SortedSumsMetric(const std::string& metric, const SortedScores& s, const SortedSums& out);

}  // namespace freshet::bootstrap_internal
