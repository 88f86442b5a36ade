#include <cuda_runtime.h>

#include <vector>

#include "kernels/column_moments.h"
#include "kernels/cuda_check.cuh"
#include "kernels/launch.cuh"

namespace freshet::kernels {
namespace {

__device__ Moments ShuffleDown(const Moments& m, int delta) {
  Moments o;
  o.n = __shfl_down_sync(0xffffffffu, m.n, delta);
  o.mean = __shfl_down_sync(0xffffffffu, m.mean, delta);
  o.m2 = __shfl_down_sync(0xffffffffu, m.m2, delta);
  o.min = __shfl_down_sync(0xffffffffu, m.min, delta);
  o.max = __shfl_down_sync(0xffffffffu, m.max, delta);
  return o;
}

__device__ void WarpMerge(Moments* m) {
  for (int delta = 16; delta > 0; delta /= 2) m->Merge(ShuffleDown(*m, delta));
}

// Grid: (blocks, columns). Each thread accumulates a grid-stride share of one column's rows; the
// block merges its threads' moments (warp shuffles, then shared memory) and writes one partial.
template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    MomentsKernel(const NumericColumnView* __restrict__ cols, int64_t rows,
                  ColumnMoments* __restrict__ partials) {
  static_assert(kBlock % 32 == 0, "whole warps");
  const int32_t j = blockIdx.y;
  ColumnMoments m;
  for (int64_t i = GridStart<kBlock>(); i < rows; i += GridStep<kBlock>()) {
    AccumulateMoments(cols[j], i, &m);
  }
  WarpMerge(&m.raw);
  WarpMerge(&m.transformed);
  __shared__ ColumnMoments warps[kBlock / 32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warps[warp] = m;
  __syncthreads();
  if (threadIdx.x == 0) {
    ColumnMoments total = warps[0];
    for (int w = 1; w < kBlock / 32; ++w) {
      total.raw.Merge(warps[w].raw);
      total.transformed.Merge(warps[w].transformed);
    }
    partials[static_cast<int64_t>(j) * gridDim.x + blockIdx.x] = total;
  }
}

}  // namespace

namespace cuda_impl {

void NumericColumnMoments(const NumericColumnView* cols, int32_t ncols, int64_t rows,
                          ColumnMoments* out, void* stream) {
  if (rows == 0 || ncols == 0) return;
  constexpr int kBlock = kDefaultBlock;
  auto s = static_cast<cudaStream_t>(stream);
  const unsigned blocks = std::max(1u, GridSize<kBlock>(rows) / static_cast<unsigned>(ncols));
  const size_t col_bytes = sizeof(NumericColumnView) * static_cast<size_t>(ncols);
  const size_t part_count = static_cast<size_t>(blocks) * static_cast<size_t>(ncols);
  DeviceBuffer views(col_bytes, stream);
  DeviceBuffer partials(part_count * sizeof(ColumnMoments), stream);
  CopyToDevice(views.data(), cols, col_bytes, stream);
  MomentsKernel<kBlock><<<dim3(blocks, static_cast<unsigned>(ncols)), kBlock, 0, s>>>(
      views.as<NumericColumnView>(), rows, partials.as<ColumnMoments>());
  FRESHET_CUDA_CHECK(cudaGetLastError());
  std::vector<ColumnMoments> host(part_count);
  CopyToHost(host.data(), partials.data(), part_count * sizeof(ColumnMoments), stream);
  SynchronizeStream(stream);
  for (int32_t j = 0; j < ncols; ++j) {
    for (unsigned b = 0; b < blocks; ++b) {
      out[j].raw.Merge(host[static_cast<size_t>(j) * blocks + b].raw);
      out[j].transformed.Merge(host[static_cast<size_t>(j) * blocks + b].transformed);
    }
  }
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
