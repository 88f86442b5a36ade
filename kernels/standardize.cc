#include "kernels/standardize.h"

#include "freshet/error.hpp"
#include "kernels/parallel.h"

namespace freshet::kernels {
namespace {

// Rows per thread below which spawning threads costs more than it saves.
constexpr int64_t kMinChunk = 1 << 17;

void CheckArgs(int64_t n, int64_t out_stride) {
  FRESHET_CHECK(n >= 0, "n = " + std::to_string(n));
  FRESHET_CHECK(out_stride >= 1, "out_stride = " + std::to_string(out_stride));
}

}  // namespace

void Standardize(const Device& dev, const float* in, int64_t n, StandardizeOp op, float* out,
                 int64_t out_stride, void* stream) {
  CheckArgs(n, out_stride);
  dev.Dispatch([&] { cpu_impl::Standardize(in, n, op, out, out_stride); },
               [&] { cuda_impl::Standardize(in, n, op, out, out_stride, stream); });
}

namespace cpu_impl {

void Standardize(const float* in, int64_t n, StandardizeOp op, float* out, int64_t out_stride) {
  CheckArgs(n, out_stride);
  ParallelFor(n, kMinChunk, [=](int64_t begin, int64_t end) {
    if (out_stride == 1) {
      for (int64_t i = begin; i < end; ++i) out[i] = op(in[i]);
    } else {
      for (int64_t i = begin; i < end; ++i) out[i * out_stride] = op(in[i]);
    }
  });
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
