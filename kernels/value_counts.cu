#include <cuda_runtime.h>
#include <thrust/copy.h>
#include <thrust/device_ptr.h>
#include <thrust/execution_policy.h>
#include <thrust/iterator/constant_iterator.h>
#include <thrust/iterator/zip_iterator.h>
#include <thrust/reduce.h>
#include <thrust/sort.h>

#include "kernels/cuda_check.cuh"
#include "kernels/launch.cuh"
#include "kernels/value_counts.h"

namespace freshet::kernels {
namespace {

// keys[i] = XXH64 of row i's value, rows[i] = i, present[i] = whether it has one.
template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    KeyKernel(CategoricalInputView input, int64_t n, uint64_t* __restrict__ keys,
              int64_t* __restrict__ rows, uint8_t* __restrict__ present) {
  for (int64_t i = GridStart<kBlock>(); i < n; i += GridStep<kBlock>()) {
    uint64_t h = 0;
    present[i] = HashValue(input, i, 0, &h) ? 1 : 0;
    keys[i] = h;
    rows[i] = i;
  }
}

struct CountAndFirst {
  __host__ __device__ thrust::tuple<int64_t, int64_t> operator()(
      const thrust::tuple<int64_t, int64_t>& a, const thrust::tuple<int64_t, int64_t>& b) const {
    return {thrust::get<0>(a) + thrust::get<0>(b),
            thrust::min(thrust::get<1>(a), thrust::get<1>(b))};
  }
};

struct IsPresent {
  __host__ __device__ bool operator()(uint8_t p) const { return p != 0; }
};

}  // namespace

namespace cuda_impl {

std::vector<ValueCount> CountValues(const CategoricalInputView& input, int64_t n, void* stream) {
  if (n == 0) return {};
  auto s = static_cast<cudaStream_t>(stream);
  const auto policy = thrust::cuda::par_nosync.on(s);
  DeviceBuffer keys(n * sizeof(uint64_t), stream), rows(n * sizeof(int64_t), stream);
  DeviceBuffer present(n, stream);
  constexpr int kBlock = kDefaultBlock;
  KeyKernel<kBlock><<<GridSize<kBlock>(n), kBlock, 0, s>>>(
      input, n, keys.as<uint64_t>(), rows.as<int64_t>(), present.as<uint8_t>());
  FRESHET_CUDA_CHECK(cudaGetLastError());
  // Keep the present rows, sort them by key (stable: first rows stay ascending), reduce.
  DeviceBuffer pkeys(n * sizeof(uint64_t), stream), prows(n * sizeof(int64_t), stream);
  thrust::device_ptr<uint64_t> k(keys.as<uint64_t>()), pk(pkeys.as<uint64_t>());
  thrust::device_ptr<int64_t> r(rows.as<int64_t>()), pr(prows.as<int64_t>());
  thrust::device_ptr<uint8_t> p(present.as<uint8_t>());
  const auto kr = thrust::make_zip_iterator(thrust::make_tuple(k, r));
  const auto pkr = thrust::make_zip_iterator(thrust::make_tuple(pk, pr));
  const int64_t m = thrust::copy_if(policy, kr, kr + n, p, pkr, IsPresent()) - pkr;
  thrust::stable_sort_by_key(policy, pk, pk + m, pr);
  DeviceBuffer ukeys(std::max<int64_t>(m, 1) * sizeof(uint64_t), stream);
  DeviceBuffer ucounts(std::max<int64_t>(m, 1) * sizeof(int64_t), stream);
  DeviceBuffer ufirst(std::max<int64_t>(m, 1) * sizeof(int64_t), stream);
  thrust::device_ptr<uint64_t> uk(ukeys.as<uint64_t>());
  thrust::device_ptr<int64_t> uc(ucounts.as<int64_t>()), uf(ufirst.as<int64_t>());
  const auto ones_and_rows =
      thrust::make_zip_iterator(thrust::make_tuple(thrust::make_constant_iterator<int64_t>(1), pr));
  const auto end = thrust::reduce_by_key(policy, pk, pk + m, ones_and_rows, uk,
                                         thrust::make_zip_iterator(thrust::make_tuple(uc, uf)),
                                         thrust::equal_to<uint64_t>(), CountAndFirst());
  const int64_t u = end.first - uk;
  std::vector<uint64_t> hk(u);
  std::vector<int64_t> hc(u), hf(u);
  CopyToHost(hk.data(), ukeys.data(), u * sizeof(uint64_t), stream);
  CopyToHost(hc.data(), ucounts.data(), u * sizeof(int64_t), stream);
  CopyToHost(hf.data(), ufirst.data(), u * sizeof(int64_t), stream);
  SynchronizeStream(stream);
  std::vector<ValueCount> out(u);
  for (int64_t i = 0; i < u; ++i) out[i] = {hk[i], hc[i], hf[i]};
  return out;
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
