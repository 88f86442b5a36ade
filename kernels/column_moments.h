// The numeric fit pass: for every numeric column, in one read of the data, the moments of its
// present values as they are (for a mean fill) and after clip and the element-wise ops (for
// standardize and minmax).
// One element function shared by the CPU loop and the CUDA kernel.
#pragma once

#include <cstdint>

#include "kernels/common.h"
#include "kernels/device.h"
#include "kernels/numeric_transform.h"

namespace freshet::kernels {

// Count, mean, sum of squared deviations, min and max, merged with Chan et al.'s update, so that
// partial results of any split of the data combine without losing precision.
struct Moments {
  int64_t n = 0;
  double mean = 0.0;
  double m2 = 0.0;
  double min = INFINITY;
  double max = -INFINITY;

  FRESHET_HD void Add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
    min = fmin(min, x);
    max = fmax(max, x);
  }
  FRESHET_HD void Merge(const Moments& o) {
    if (o.n == 0) return;
    if (n == 0) {
      *this = o;
      return;
    }
    const int64_t total = n + o.n;
    const double d = o.mean - mean;
    const double fo = static_cast<double>(o.n) / static_cast<double>(total);
    mean += d * fo;
    m2 += o.m2 + d * d * static_cast<double>(n) * fo;
    n = total;
    min = fmin(min, o.min);
    max = fmax(max, o.max);
  }
  // Adds `count` copies of x.
  FRESHET_HD void AddRepeated(double x, int64_t count) {
    if (count <= 0) return;
    Moments o;
    o.n = count;
    o.mean = x;
    o.min = o.max = x;
    Merge(o);
  }
};

struct ColumnMoments {
  Moments raw;          // present values
  Moments transformed;  // present values after ClipAndPointwise (the view's fill, shift and scale
                        // are not applied)
};

// Adds row i of column c to m (nothing when the row is missing).
FRESHET_HD void AccumulateMoments(const NumericColumnView& c, int64_t i, ColumnMoments* m) {
  bool missing;
  const double x = LoadNumeric(c, i, &missing);
  if (missing) return;
  m->raw.Add(x);
  m->transformed.Add(ClipAndPointwise(c, x));
}

// out[j] = the moments of column j over rows [0, rows). `cols` and `out` are host arrays; the
// views' pointers are host pointers on a CPU device and device pointers on a CUDA one, where the
// work runs on `stream` (a cudaStream_t) and the call returns when `out` is filled. Partial results
// are merged in a fixed order, so a device gives the same answer every time.
void NumericColumnMoments(const Device& dev, const NumericColumnView* cols, int32_t ncols,
                          int64_t rows, ColumnMoments* out, void* stream);

namespace cpu_impl {
void NumericColumnMoments(const NumericColumnView* cols, int32_t ncols, int64_t rows,
                          ColumnMoments* out);
}  // namespace cpu_impl

namespace cuda_impl {
void NumericColumnMoments(const NumericColumnView* cols, int32_t ncols, int64_t rows,
                          ColumnMoments* out, void* stream);
}  // namespace cuda_impl

}  // namespace freshet::kernels
