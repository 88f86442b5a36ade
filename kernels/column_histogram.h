// The histogram pass of the data gate: for every numeric column, in one read of the data, how many
// of its present values fall in each bin of its edges, and how many rows are missing. The edges are
// the reference profile's quantiles, so the counts of fresh data are comparable with the
// reference's without the reference's rows. One element function shared by the CPU loop and the
// CUDA kernel; counts are integers, so both give the same answer exactly.
#pragma once

#include <cstdint>

#include "kernels/common.h"
#include "kernels/device.h"
#include "kernels/numeric_transform.h"

namespace freshet::kernels {

// The bin of x among `nedges` ascending edges e[0..nedges) (nedges >= 2, duplicates allowed):
// the number of interior edges e[1..nedges-1) that are <= x. So bin k holds e[k] <= x < e[k+1] as
// numpy.histogram does, the last bin also holds x == e[nedges-1], and values below e[0] or above
// e[nedges-1] fall in the first or the last bin (open outer bins, as PSI wants). REQUIRES: x is
// not NaN.
FRESHET_HD int32_t HistogramBin(const double* e, int32_t nedges, double x) {
  // Few edges (the profile's default is 21): count them without branches, which vectorises and
  // does not mispredict on random data.
  if (nedges <= 34) {
    int32_t bin = 0;
    for (int32_t k = 1; k < nedges - 1; ++k) bin += e[k] <= x ? 1 : 0;
    return bin;
  }
  // upper_bound over the interior edges.
  int32_t lo = 1, hi = nedges - 1;
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo) / 2;
    if (e[mid] <= x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo - 1;
}

// One column of the pass: its input (only `values`, `valid` and `type` of the view are read) and
// where its edges are in the shared edges array and its counts in the shared counts array: bins
// edges_count - 1 counts from counts_begin.
struct HistogramColumn {
  NumericColumnView input;
  int32_t edges_begin = 0;
  int32_t edges_count = 0;  // >= 2
  int64_t counts_begin = 0;
};

// For column j over rows [0, rows): counts[cols[j].counts_begin + k] = the present values in bin k
// (HistogramBin), missing[j] = the missing rows. `cols`, `edges`, `counts` (total_bins entries) and
// `missing` (ncols entries) are host arrays, overwritten; the views' value pointers are host
// pointers on a CPU device and device pointers on a CUDA one, where the work runs on `stream` (a
// cudaStream_t) and the call returns when the results are on the host.
void NumericColumnHistograms(const Device& dev, const HistogramColumn* cols, int32_t ncols,
                             const double* edges, int32_t total_edges, int64_t rows,
                             int64_t* counts, int64_t total_bins, int64_t* missing, void* stream);

namespace cpu_impl {
void NumericColumnHistograms(const HistogramColumn* cols, int32_t ncols, const double* edges,
                             int64_t rows, int64_t* counts, int64_t* missing);
}  // namespace cpu_impl

namespace cuda_impl {
void NumericColumnHistograms(const HistogramColumn* cols, int32_t ncols, const double* edges,
                             int32_t total_edges, int64_t rows, int64_t* counts, int64_t total_bins,
                             int64_t* missing, void* stream);
}  // namespace cuda_impl

}  // namespace freshet::kernels
