// Numeric fill + standardise: the missing value (NaN) becomes `fill`, then (x - mean) * scale.
// With scale = 1 and mean = 0 it is a plain fill.
#pragma once

#include <cstdint>

#include "kernels/common.h"
#include "kernels/device.h"

namespace freshet::kernels {

// Element functor shared by the CPU loop and the CUDA kernel.
struct StandardizeOp {
  float fill = 0.f;
  float mean = 0.f;
  float scale = 1.f;  // 1 / std, or 1 where std == 0 (centred only)

  FRESHET_HD float operator()(float x) const {
    if (x != x) x = fill;
    return (x - mean) * scale;
  }
};

// out[i * out_stride] = op(in[i]) for i in [0, n). Host pointers on a CPU device, device pointers
// on a CUDA one; `stream` is a cudaStream_t (ignored on CPU). The CPU loop is multi-threaded.
void Standardize(const Device& dev, const float* in, int64_t n, StandardizeOp op, float* out,
                 int64_t out_stride, void* stream);

namespace cpu_impl {
void Standardize(const float* in, int64_t n, StandardizeOp op, float* out, int64_t out_stride);
}  // namespace cpu_impl

namespace cuda_impl {
void Standardize(const float* in, int64_t n, StandardizeOp op, float* out, int64_t out_stride,
                 void* stream);
}  // namespace cuda_impl

}  // namespace freshet::kernels
