// The host half of a numeric column's profile (src/validate/profile.cc): one read of the column
// for its finite values, distinct values and moments, then its quantiles by a radix select and
// its seeded sample. Private to src/validate/.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "freshet/profile.hpp"
#include "freshet/table.hpp"
#include "kernels/numeric_transform.h"

namespace freshet::profile_internal {

// A column's finite values in row order, for FillMoments: `bounds` splits them as the rows split
// into moment parts (bounds.size() == parts + 1); `inf` counts its infinities.
struct FiniteValues {
  std::vector<double> values;
  std::vector<size_t> bounds;
  int64_t inf = 0;
};

// Fills p's quantiles (numpy's linear method at kProfileQuantiles), its edges when `want_edges`
// (the distinct quantiles at k / o.bins), distinct values, `many` and sample; with `histogram`,
// p->hist on p->edges (when there are two or more): the finite values per bin of
// kernels::HistogramBin, what the histogram kernel counts less the infinities. And `finite` with
// the column's finite values, the rows split into moment_parts (>= 1) equal ranges.
// REQUIRES: `col` numeric.
void HostNumeric(const Column& col, const ProfileOptions& o, bool want_edges, bool histogram,
                 int moment_parts, NumericProfile* p, FiniteValues* finite);

// fn(x) for each finite value x of rows [begin, end) of `v`, in order; *inf counts the infinities.
template <typename Fn>
void ForEachFinite(const kernels::NumericColumnView& v, int64_t begin, int64_t end, int64_t* inf,
                   Fn&& fn) {
  for (int64_t i = begin; i < end; ++i) {
    bool missing;
    const double x = kernels::LoadNumeric(v, i, &missing);
    if (missing) continue;
    if (std::isinf(x)) {
      ++*inf;
      continue;
    }
    fn(x);
  }
}

// Fills count, nan, inf, min and max of p from `col` (ProfileOptions::counts_only), in one pass.
// REQUIRES: `col` numeric.
void NumericCounts(const Column& col, NumericProfile* p);

// Fills count, nan, inf, mean, std, min and max of out[j] from cols[j] (of `rows` rows): the
// moments as kernels::NumericColumnMoments takes them on the CPU with that many parts (each part
// added in order, the parts merged in order), or in one part when the column holds an infinity
// (as profile.cc's FiniteMoments does), so the numbers are the same to the bit. The columns'
// dependency chains advance together, split over the threads.
void FillMoments(const std::vector<const FiniteValues*>& cols, int64_t rows,
                 const std::vector<NumericProfile*>& out);

// numpy.quantile(values, q) (linear) for every q in [0, 1]: the values at the two ranks around
// (n - 1) q, found by a radix select (a histogram of the top bits of each value's order key, then
// a selection among the few values of the buckets that hold a wanted rank). `values` is not
// reordered. Zeros for no values. REQUIRES: no NaN.
std::vector<double> Quantiles(const std::vector<double>& values, const std::vector<double>& qs);

}  // namespace freshet::profile_internal
