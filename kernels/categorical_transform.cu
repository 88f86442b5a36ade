#include <cuda_runtime.h>

#include "kernels/categorical_transform.h"
#include "kernels/cuda_check.cuh"
#include "kernels/launch.cuh"

namespace freshet::kernels {
namespace {

template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    CategoricalKernel(const CategoricalInputView* __restrict__ inputs,
                      const CategoricalOutputView* __restrict__ outputs, int32_t noutputs,
                      int64_t rows, int64_t* __restrict__ cats, int64_t cat_dim) {
  for (int64_t i = GridStart<kBlock>(); i < rows; i += GridStep<kBlock>()) {
    for (int32_t k = 0; k < noutputs; ++k) {
      cats[i * cat_dim + outputs[k].cat_out] = CategoricalIndex(inputs, outputs[k], i);
    }
  }
}

}  // namespace

namespace cuda_impl {

void TransformCategoricalColumns(const CategoricalInputView* inputs, int32_t ninputs,
                                 const CategoricalOutputView* outputs, int32_t noutputs,
                                 int64_t rows, int64_t* cats, int64_t cat_dim, void* stream) {
  if (rows == 0 || noutputs == 0) return;
  auto s = static_cast<cudaStream_t>(stream);
  const size_t in_bytes = sizeof(CategoricalInputView) * static_cast<size_t>(ninputs);
  const size_t out_bytes = sizeof(CategoricalOutputView) * static_cast<size_t>(noutputs);
  // Outputs first: their 8-byte members keep the alignment of the inputs that follow.
  DeviceBuffer params(out_bytes + in_bytes, stream);
  CopyToDevice(params.data(), outputs, out_bytes, stream);
  CopyToDevice(params.as<char>() + out_bytes, inputs, in_bytes, stream);
  constexpr int kBlock = kDefaultBlock;
  CategoricalKernel<kBlock><<<GridSize<kBlock>(rows), kBlock, 0, s>>>(
      reinterpret_cast<const CategoricalInputView*>(params.as<char>() + out_bytes),
      params.as<CategoricalOutputView>(), noutputs, rows, cats, cat_dim);
  FRESHET_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
