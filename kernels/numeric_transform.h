// The fused numeric feature transform: every numeric column of a row read once, filled, clipped,
// passed through its element-wise ops (kernels/numeric_ops.h), standardised or min-max scaled, and
// written to the dense output (or bucketised into a categorical output), with an optional missing
// indicator. One element function shared by the CPU loop and the CUDA kernel.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common.h"
#include "kernels/device.h"
#include "kernels/numeric_ops.h"

namespace freshet::kernels {

enum NumericInputType : int32_t { kInF32 = 0, kInF64 = 1, kInI32 = 2, kInI64 = 3 };

// One numeric column's raw input and fitted transform. A non-owning view, passed by value (and
// copied to the device): `values` holds rows of `type`, `valid` is null or one byte per row
// (0 = missing); a float NaN is missing too. Outputs are column indices in the dense or categorical
// output, -1 when absent; exactly one of dense_out and cat_out is >= 0.
struct NumericColumnView {
  const void* values = nullptr;
  const uint8_t* valid = nullptr;
  int32_t type = kInF32;
  uint32_t pointwise = 0;  // the element-wise ops after clip: a set of PointwiseBit
  // In double, so that columns far from zero (timestamps, large ids) keep their spread: the
  // result is rounded to float32 only at the end.
  double fill = 0.0;
  double clip_lo = -INFINITY;
  double clip_hi = INFINITY;
  double shift = 0.0;
  double scale = 1.0;
  int32_t bounds_begin = 0;  // into the shared boundaries array
  int32_t bounds_count = 0;
  int32_t dense_out = -1;
  int32_t indicator_out = -1;
  int32_t cat_out = -1;
};

// Reads row i as double; *missing tells whether it was missing (then the value is meaningless).
FRESHET_HD double LoadNumeric(const NumericColumnView& c, int64_t i, bool* missing) {
  double x;
  switch (c.type) {
    case kInF64:
      x = static_cast<const double*>(c.values)[i];
      break;
    case kInI32:
      x = static_cast<const int32_t*>(c.values)[i];
      break;
    case kInI64:
      x = static_cast<double>(static_cast<const int64_t*>(c.values)[i]);
      break;
    default:
      x = static_cast<const float*>(c.values)[i];
      break;
  }
  *missing = (c.valid != nullptr && c.valid[i] == 0) || x != x;
  return x;
}

// clip → the element-wise ops, in double: what scaling and bucketising see, and what the fit pass
// takes the transformed moments of. REQUIRES: x is not NaN (then plain compares clamp it).
FRESHET_HD double ClipAndPointwise(const NumericColumnView& c, double x) {
  x = x < c.clip_lo ? c.clip_lo : (x > c.clip_hi ? c.clip_hi : x);
  return ApplyPointwiseSet(c.pointwise, x);
}

// fill → clip → the element-wise ops → (x - shift) * scale, in double.
FRESHET_HD double TransformNumeric(const NumericColumnView& c, double x, bool missing) {
  // A missing x becomes the fill, which is finite; NaN is missing, so x is not NaN after this.
  if (missing) x = c.fill;
  return (ClipAndPointwise(c, x) - c.shift) * c.scale;
}

// 2 + the number of boundaries <= x (boundaries ascending): numpy's digitize(x, b, right=False).
FRESHET_HD int64_t BucketIndex(const double* bounds, int32_t n, double x) {
  int32_t lo = 0, hi = n;
  while (lo < hi) {
    const int32_t mid = (lo + hi) / 2;
    if (bounds[mid] <= x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return 2 + lo;
}

// Writes every output of row i into that row's outputs: dense_row[c.dense_out] and
// cats_row[c.cat_out].
FRESHET_HD void NumericRowTo(const NumericColumnView* cols, int32_t ncols, const double* bounds,
                             int64_t i, float* dense_row, int64_t* cats_row) {
  for (int32_t j = 0; j < ncols; ++j) {
    const NumericColumnView& c = cols[j];
    bool missing;
    const double raw = LoadNumeric(c, i, &missing);
    const double x = TransformNumeric(c, raw, missing);
    if (c.cat_out >= 0) {
      cats_row[c.cat_out] = BucketIndex(bounds + c.bounds_begin, c.bounds_count, x);
    } else {
      dense_row[c.dense_out] = static_cast<float>(x);
    }
    if (c.indicator_out >= 0) dense_row[c.indicator_out] = missing ? 1.f : 0.f;
  }
}

// Writes every output of row i: dense[i * dense_dim + ...] and cats[i * cat_dim + ...].
FRESHET_HD void NumericRow(const NumericColumnView* cols, int32_t ncols, const double* bounds,
                           int64_t i, float* dense, int64_t dense_dim, int64_t* cats,
                           int64_t cat_dim) {
  NumericRowTo(cols, ncols, bounds, i, dense + i * dense_dim, cats + i * cat_dim);
}

// Applies NumericRow to rows [0, rows). `cols` and `bounds` are host arrays (copied to the device
// on a CUDA device); the views' pointers and `dense`/`cats` are host pointers on a CPU device and
// device pointers on a CUDA one, where the work is queued on `stream` (a cudaStream_t).
void TransformNumericColumns(const Device& dev, const NumericColumnView* cols, int32_t ncols,
                             const double* bounds, int32_t nbounds, int64_t rows, float* dense,
                             int64_t dense_dim, int64_t* cats, int64_t cat_dim, void* stream);

namespace cpu_impl {
void TransformNumericColumns(const NumericColumnView* cols, int32_t ncols, const double* bounds,
                             int64_t rows, float* dense, int64_t dense_dim, int64_t* cats,
                             int64_t cat_dim);

// Rows [begin, end) of TransformNumericColumns, on the calling thread: one column at a time over
// blocks of rows, each with a loop specialised for its input type and element-wise ops. What each
// thread of the CPU loop runs on its range; the outputs equal NumericRow's.
void TransformNumericRows(const NumericColumnView* cols, int32_t ncols, const double* bounds,
                          int64_t begin, int64_t end, float* dense, int64_t dense_dim,
                          int64_t* cats, int64_t cat_dim);
}  // namespace cpu_impl

namespace cuda_impl {
void TransformNumericColumns(const NumericColumnView* cols, int32_t ncols, const double* bounds,
                             int32_t nbounds, int64_t rows, float* dense, int64_t dense_dim,
                             int64_t* cats, int64_t cat_dim, void* stream);
}  // namespace cuda_impl

}  // namespace freshet::kernels
