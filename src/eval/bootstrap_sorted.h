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

// The lanes' pass, below: the scan over the positions, one lane per resample.
constexpr int kMaxLanes = 8;

// The bits of SortedScores::entry.
constexpr uint32_t kRowMask = (1u << 29) - 1;
constexpr uint32_t kPositive = 1u << 29;
constexpr uint32_t kGroupStart = 1u << 30;
constexpr uint32_t kGroupEnd = 1u << 31;

// What a scan reads: SortedScores' arrays, and the counts (uint8_t or uint32_t, L a row).
struct LaneScanInput {
  const uint32_t* entry;
  const double* log_loss;
  const double* squared;
  const float* score;
  const uint8_t* ap_term;
  const void* counts;
};

// The state of the scan, one lane per resample (the first L of each array): the positive count
// so far (tp), the count so far (cum), the positive count above the current group (above) and
// at the last term of average precision (tp_end), AUC's sum, the floating-point sums, and the sum
// of count * score over the last scanned positions (run_score).
struct LaneState {
  double tp[kMaxLanes] = {}, cum[kMaxLanes] = {}, above[kMaxLanes] = {}, tp_end[kMaxLanes] = {},
         auc[kMaxLanes] = {}, ap[kMaxLanes] = {}, log_loss[kMaxLanes] = {}, squared[kMaxLanes] = {},
         run_score[kMaxLanes] = {};
};

// Scans positions [begin, end) into *st.
using LaneScan = void (*)(const LaneScanInput& in, uint32_t begin, uint32_t end, LaneState* st);

// The scans of one lane count, by [32-bit counts][with average precision][with the sums].
struct LaneScans {
  int lanes;
  LaneScan scan[2][2][2];
};

// The scans with 2 lanes, for any CPU (bootstrap_sorted.cc), and with 8, for x86-64 CPUs with
// AVX-512F and AVX-512DQ (bootstrap_lanes512.cc, where FRESHET_LANES512 is defined).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FRESHET_LANES512 1
#endif
LaneScans NarrowLaneScans();
LaneScans WideLaneScans();

// The most resamples one pass takes on this CPU: 8 with AVX-512F and AVX-512DQ, else 2.
int WidestLanes();

// One pass over the positions of `s` (unweighted) for `lanes` resamples at once (2, or
// WidestLanes()): `counts` holds `lanes` counts per row (row i's count in resample l at
// counts[i * lanes + l]); out[l] (`lanes` of them) is resample l's: AUC and, with `ap`, average
// precision (both bit-identical to SortedMetric), with `sums` the binary sums (needs `s` sorted
// with the terms). `bins` as MetricOptions::calibration_bins. A NaN model leaves `out` as it is
// (SortedSumsMetric gives NaN). One read of the positions serves every lane, and the lanes share
// vector instructions; a resample's results are the same to the bit whatever `lanes` is.
// REQUIRES: fewer than kMaxLaneRows rows.
constexpr size_t kMaxLaneRows = size_t{1} << 26;
void SortedPassLanes(const SortedScores& s, int lanes, const uint8_t* counts, bool ap, bool sums,
                     int bins, SortedSums* out);
void SortedPassLanes(const SortedScores& s, int lanes, const uint32_t* counts, bool ap, bool sums,
                     int bins, SortedSums* out);

// `metric` (auc, pr_auc or IsBinarySum) of a pass's sums.
double SortedSumsMetric(const std::string& metric, const SortedScores& s, const SortedSums& out);

}  // namespace freshet::bootstrap_internal
