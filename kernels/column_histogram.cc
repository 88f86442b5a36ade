#include "kernels/column_histogram.h"

#include <algorithm>
#include <vector>

#include "freshet/error.hpp"
#include "kernels/parallel.h"

namespace freshet::kernels {

void NumericColumnHistograms(const Device& dev, const HistogramColumn* cols, int32_t ncols,
                             const double* edges, int32_t total_edges, int64_t rows,
                             int64_t* counts, int64_t total_bins, int64_t* missing, void* stream) {
  FRESHET_CHECK(rows >= 0 && ncols >= 0 && total_bins >= 0, "negative size");
  for (int32_t j = 0; j < ncols; ++j) {
    FRESHET_CHECK(cols[j].edges_count >= 2, "a histogram needs two edges");
    FRESHET_CHECK(cols[j].edges_begin + cols[j].edges_count <= total_edges, "edges out of range");
    FRESHET_CHECK(cols[j].counts_begin + cols[j].edges_count - 1 <= total_bins,
                  "counts out of range");
  }
  std::fill(counts, counts + total_bins, 0);
  std::fill(missing, missing + ncols, 0);
  if (rows == 0 || ncols == 0) return;
  dev.Dispatch(
      [&] { cpu_impl::NumericColumnHistograms(cols, ncols, edges, rows, counts, missing); },
      [&] {
        cuda_impl::NumericColumnHistograms(cols, ncols, edges, total_edges, rows, counts,
                                           total_bins, missing, stream);
      });
}

namespace cpu_impl {

void NumericColumnHistograms(const HistogramColumn* cols, int32_t ncols, const double* edges,
                             int64_t rows, int64_t* counts, int64_t* missing) {
  // Work items are (column, row range) pairs, so that one wide column or many narrow ones both
  // spread over the threads; each item counts into its own buffer, summed afterwards.
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(ParallelThreads(), rows >> 15));
  const int64_t items = parts * ncols;
  std::vector<std::vector<int64_t>> local(static_cast<size_t>(items));
  std::vector<int64_t> local_missing(static_cast<size_t>(items), 0);
  ParallelFor(items, 1, [&](int64_t ib, int64_t ie) {
    for (int64_t item = ib; item < ie; ++item) {
      const int32_t j = static_cast<int32_t>(item / parts);
      const int64_t p = item % parts;
      const HistogramColumn& c = cols[j];
      const double* e = edges + c.edges_begin;
      std::vector<int64_t>& h = local[item];
      h.assign(static_cast<size_t>(c.edges_count - 1), 0);
      int64_t miss = 0;
      const int64_t begin = rows * p / parts, end = rows * (p + 1) / parts;
      for (int64_t i = begin; i < end; ++i) {
        bool is_missing;
        const double x = LoadNumeric(c.input, i, &is_missing);
        if (is_missing) {
          ++miss;
          continue;
        }
        ++h[static_cast<size_t>(HistogramBin(e, c.edges_count, x))];
      }
      local_missing[item] = miss;
    }
  });
  for (int64_t item = 0; item < items; ++item) {
    const int32_t j = static_cast<int32_t>(item / parts);
    int64_t* out = counts + cols[j].counts_begin;
    for (size_t k = 0; k < local[item].size(); ++k) out[k] += local[item][k];
    missing[j] += local_missing[item];
  }
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
