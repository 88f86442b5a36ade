#include "kernels/numeric_transform.h"

#include "freshet/error.hpp"
#include "kernels/parallel.h"

namespace freshet::kernels {

void TransformNumericColumns(const Device& dev, const NumericColumnView* cols, int32_t ncols,
                             const double* bounds, int32_t nbounds, int64_t rows, float* dense,
                             int64_t dense_dim, int64_t* cats, int64_t cat_dim, void* stream) {
  FRESHET_CHECK(rows >= 0 && ncols >= 0 && nbounds >= 0, "negative size");
  if (rows == 0 || ncols == 0) return;
  dev.Dispatch(
      [&] {
        cpu_impl::TransformNumericColumns(cols, ncols, bounds, rows, dense, dense_dim, cats,
                                          cat_dim);
      },
      [&] {
        cuda_impl::TransformNumericColumns(cols, ncols, bounds, nbounds, rows, dense, dense_dim,
                                           cats, cat_dim, stream);
      });
}

namespace cpu_impl {

void TransformNumericColumns(const NumericColumnView* cols, int32_t ncols, const double* bounds,
                             int64_t rows, float* dense, int64_t dense_dim, int64_t* cats,
                             int64_t cat_dim) {
  ParallelFor(rows, 1 << 14, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      NumericRow(cols, ncols, bounds, i, dense, dense_dim, cats, cat_dim);
    }
  });
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
