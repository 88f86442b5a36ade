#include <cuda_runtime.h>

#include "kernels/cuda_check.cuh"
#include "kernels/launch.cuh"
#include "kernels/numeric_transform.h"

namespace freshet::kernels {
namespace {

// One thread a row: each column is read coalesced across the warp; the row's outputs are written
// together, so a warp's writes cover one contiguous span of the output.
template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    NumericKernel(const NumericColumnView* __restrict__ cols, int32_t ncols,
                  const double* __restrict__ bounds, int64_t rows, float* __restrict__ dense,
                  int64_t dense_dim, int64_t* __restrict__ cats, int64_t cat_dim) {
  for (int64_t i = GridStart<kBlock>(); i < rows; i += GridStep<kBlock>()) {
    NumericRow(cols, ncols, bounds, i, dense, dense_dim, cats, cat_dim);
  }
}

}  // namespace

namespace cuda_impl {

void TransformNumericColumns(const NumericColumnView* cols, int32_t ncols, const double* bounds,
                             int32_t nbounds, int64_t rows, float* dense, int64_t dense_dim,
                             int64_t* cats, int64_t cat_dim, void* stream) {
  if (rows == 0 || ncols == 0) return;
  auto s = static_cast<cudaStream_t>(stream);
  const size_t col_bytes = sizeof(NumericColumnView) * static_cast<size_t>(ncols);
  const size_t bound_bytes = sizeof(double) * static_cast<size_t>(nbounds);
  DeviceBuffer params(col_bytes + bound_bytes, stream);
  CopyToDevice(params.data(), cols, col_bytes, stream);
  if (nbounds) CopyToDevice(params.as<char>() + col_bytes, bounds, bound_bytes, stream);
  constexpr int kBlock = kDefaultBlock;
  NumericKernel<kBlock><<<GridSize<kBlock>(rows), kBlock, 0, s>>>(
      params.as<NumericColumnView>(), ncols,
      reinterpret_cast<const double*>(params.as<char>() + col_bytes), rows, dense, dense_dim, cats,
      cat_dim);
  FRESHET_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
