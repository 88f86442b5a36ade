#include "kernels/column_moments.h"

#include <vector>

#include "freshet/error.hpp"
#include "kernels/parallel.h"

namespace freshet::kernels {

void NumericColumnMoments(const Device& dev, const NumericColumnView* cols, int32_t ncols,
                          int64_t rows, ColumnMoments* out, void* stream) {
  FRESHET_CHECK(rows >= 0 && ncols >= 0, "negative size");
  for (int32_t j = 0; j < ncols; ++j) out[j] = ColumnMoments{};
  if (rows == 0 || ncols == 0) return;
  dev.Dispatch([&] { cpu_impl::NumericColumnMoments(cols, ncols, rows, out); },
               [&] { cuda_impl::NumericColumnMoments(cols, ncols, rows, out, stream); });
}

namespace cpu_impl {

void NumericColumnMoments(const NumericColumnView* cols, int32_t ncols, int64_t rows,
                          ColumnMoments* out) {
  // Fixed parts, merged in order: the result does not depend on thread timing.
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(ParallelThreads(), rows >> 15));
  std::vector<ColumnMoments> partial(static_cast<size_t>(parts * ncols));
  ParallelForThreads(parts, 1, static_cast<int>(parts), [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      const int64_t begin = rows * p / parts, end = rows * (p + 1) / parts;
      for (int32_t j = 0; j < ncols; ++j) {
        ColumnMoments& m = partial[p * ncols + j];
        for (int64_t i = begin; i < end; ++i) AccumulateMoments(cols[j], i, &m);
      }
    }
  });
  for (int64_t p = 0; p < parts; ++p) {
    for (int32_t j = 0; j < ncols; ++j) {
      out[j].raw.Merge(partial[p * ncols + j].raw);
      out[j].transformed.Merge(partial[p * ncols + j].transformed);
    }
  }
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
