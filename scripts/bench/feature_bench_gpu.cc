// freshet_feature_bench, the GPU half: reference copies, the fused kernels on device-resident
// columns (all together and each op alone), and TransformFeatures from host memory.
#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef FRESHET_WITH_CUDA
#include <cuda_runtime.h>
#endif

#include "kernels/device.h"
#include "kernels/feature_rows.h"
#include "scripts/bench/feature_bench.h"

namespace freshet::bench {
#ifdef FRESHET_WITH_CUDA
namespace {

#define BENCH_CUDA(expr)                                                                       \
  do {                                                                                         \
    const cudaError_t e = (expr);                                                              \
    if (e != cudaSuccess) {                                                                    \
      throw std::runtime_error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                               #expr + ": " + cudaGetErrorString(e));                          \
    }                                                                                          \
  } while (0)

// Median of `repeats` cudaEvent-timed runs of fn on `stream`, after two warm-up runs.
double GpuMs(int repeats, void* stream_ptr, const std::function<void()>& fn) {
  auto stream = static_cast<cudaStream_t>(stream_ptr);
  cudaEvent_t start, stop;
  BENCH_CUDA(cudaEventCreate(&start));
  BENCH_CUDA(cudaEventCreate(&stop));
  fn();
  fn();
  BENCH_CUDA(cudaStreamSynchronize(stream));
  std::vector<double> ms;
  for (int k = 0; k < repeats; ++k) {
    BENCH_CUDA(cudaEventRecord(start, stream));
    fn();
    BENCH_CUDA(cudaEventRecord(stop, stream));
    BENCH_CUDA(cudaEventSynchronize(stop));
    float t = 0;
    BENCH_CUDA(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  BENCH_CUDA(cudaEventDestroy(start));
  BENCH_CUDA(cudaEventDestroy(stop));
  return Median(ms);
}

// Device copies of every column a plan reads, and the plan with its pointers moved onto them.
struct DevicePlan {
  Plan plan;
  std::vector<DeviceBuffer> buffers;
};

DevicePlan Upload(const Plan& host, void* stream) {
  DevicePlan d;
  d.plan = host;
  const auto up = [&](const void* src, size_t bytes) {
    DeviceBuffer b(std::max<size_t>(bytes, 1), stream);
    if (bytes) CopyToDevice(b.data(), src, bytes, stream);
    void* p = b.data();
    d.buffers.push_back(std::move(b));
    return p;
  };
  for (size_t j = 0; j < host.numeric.size(); ++j) {
    const Column& c = *host.numeric_cols[j];
    d.plan.numeric[j].values = up(c.data.data(), c.data.size());
    d.plan.numeric[j].valid =
        c.valid.empty() ? nullptr : static_cast<const uint8_t*>(up(c.valid.data(), c.rows));
  }
  for (size_t k = 0; k < host.cat_cols.size(); ++k) {
    const Column& c = *host.cat_cols[k];
    auto& v = d.plan.inputs[k];
    if (c.is_string()) {
      v.bytes = static_cast<const char*>(up(c.bytes.data(), c.bytes.size()));
      v.offsets = static_cast<const int64_t*>(up(c.offsets.data(), c.offsets.size() * 8));
    } else {
      v.values = up(c.data.data(), c.data.size());
    }
    v.valid = c.valid.empty() ? nullptr : static_cast<const uint8_t*>(up(c.valid.data(), c.rows));
  }
  for (size_t k = 0; k < host.outputs.size(); ++k) {
    auto& o = d.plan.outputs[k];
    if (o.encoding != kernels::kEncodeVocab) continue;
    const VocabTable& t = host.vocabs[k];
    o.vocab_keys = static_cast<const uint64_t*>(up(t.keys.data(), t.keys.size() * 8));
    o.vocab_index = static_cast<const int64_t*>(up(t.index.data(), t.index.size() * 8));
    o.vocab_slots = nullptr;  // host-only lookups: the device searches the keys
    o.vocab_direct = nullptr;
  }
  return d;
}

}  // namespace

void RunGpu(const GpuOptions& opt, const Table& table, const FeatureState& state, const Plan& plan,
            const std::vector<float>& cpu_dense, const std::vector<int64_t>& cpu_cats, Report* r) {
  const int64_t n = table.rows();
  const Device dev{DeviceKind::kCuda, 0};
  cudaDeviceProp prop;
  BENCH_CUDA(cudaGetDeviceProperties(&prop, 0));
  r->gpu_name = prop.name;
  CudaStream owned;
  void* s = owned.get();
  const int64_t dense_dim = plan.dense_dim, cat_dim = plan.cat_dim;

  // Reference bandwidths, same run: 1 GiB device-to-device; 256 MiB from pinned host memory.
  {
    const size_t bytes = size_t{1} << 30;
    DeviceBuffer a(bytes, s), b(bytes, s);
    BENCH_CUDA(cudaMemsetAsync(a.data(), 1, bytes, static_cast<cudaStream_t>(s)));
    const double ms = GpuMs(opt.repeats, s, [&] {
      BENCH_CUDA(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice,
                                 static_cast<cudaStream_t>(s)));
    });
    r->d2d_gbs = 2.0 * bytes / (ms * 1e6);
    const size_t hbytes = size_t{256} << 20;
    PinnedBuffer h(hbytes);
    std::memset(h.data(), 1, hbytes);
    const double hms =
        GpuMs(std::min(opt.repeats, 5), s, [&] { CopyToDevice(a.data(), h.data(), hbytes, s); });
    r->h2d_gbs = hbytes / (hms * 1e6);
  }

  // (a) The fused kernels on device-resident columns.
  DevicePlan dp = Upload(plan, s);
  const Plan& p = dp.plan;
  DeviceBuffer dense(std::max<int64_t>(1, n * dense_dim) * sizeof(float), s);
  DeviceBuffer cats(std::max<int64_t>(1, n * cat_dim) * sizeof(int64_t), s);
  SynchronizeStream(s);
  const auto numeric = [&](int64_t rows) {
    kernels::TransformNumericColumns(dev, p.numeric.data(), static_cast<int32_t>(p.numeric.size()),
                                     p.bounds.data(), static_cast<int32_t>(p.bounds.size()), rows,
                                     dense.as<float>(), dense_dim, cats.as<int64_t>(), cat_dim, s);
  };
  const auto categorical = [&](int64_t rows) {
    kernels::TransformCategoricalColumns(
        dev, p.inputs.data(), static_cast<int32_t>(p.inputs.size()), p.outputs.data(),
        static_cast<int32_t>(p.outputs.size()), rows, cats.as<int64_t>(), cat_dim, s);
  };
  r->gpu_numeric_ms = GpuMs(opt.repeats, s, [&] { numeric(n); });
  r->gpu_categorical_ms = GpuMs(opt.repeats, s, [&] { categorical(n); });
  // The single-pass kernel TransformFeatures launches: both kinds of output, whole rows at once.
  const auto rows_kernel = [&](int64_t rows) {
    kernels::cuda_impl::TransformFeatureRows(
        p.numeric.data(), static_cast<int32_t>(p.numeric.size()), p.bounds.data(),
        static_cast<int32_t>(p.bounds.size()), p.inputs.data(),
        static_cast<int32_t>(p.inputs.size()), p.outputs.data(),
        static_cast<int32_t>(p.outputs.size()), rows, dense.as<float>(), dense_dim,
        cats.as<int64_t>(), cat_dim, s);
  };
  r->gpu_fused_ms = GpuMs(opt.repeats, s, [&] { rows_kernel(n); });
  // What a call costs with nothing to do: launch, parameter upload, stream-ordered allocation.
  r->launch_us = 1e3 * GpuMs(opt.repeats, s, [&] { numeric(1); });
  r->numeric_bytes = 0;
  for (size_t j = 0; j < plan.numeric.size(); ++j) {
    r->numeric_bytes += ColumnBytes(*plan.numeric_cols[j]);
  }
  r->numeric_bytes += n * 4.0 * dense_dim;
  int64_t buckets = 0;
  for (const auto& v : plan.numeric) buckets += v.cat_out >= 0;
  r->numeric_bytes += n * 8.0 * buckets;
  r->categorical_bytes = n * 8.0 * static_cast<double>(plan.outputs.size());
  for (const Column* c : plan.cat_cols) r->categorical_bytes += ColumnBytes(*c);

  std::vector<float> g_dense(n * dense_dim);
  std::vector<int64_t> g_cats(n * cat_dim);
  rows_kernel(n);
  CopyToHost(g_dense.data(), dense.data(), g_dense.size() * sizeof(float), s);
  CopyToHost(g_cats.data(), cats.data(), g_cats.size() * sizeof(int64_t), s);
  SynchronizeStream(s);
  if (!cpu_dense.empty()) Compare(plan, n, g_dense, g_cats, cpu_dense, cpu_cats, &r->ops);

  if (opt.ops) {
    DeviceBuffer d1(std::max<int64_t>(1, n) * 2 * sizeof(float), s);
    DeviceBuffer c1(std::max<int64_t>(1, n) * sizeof(int64_t), s);
    for (size_t j = 0; j < p.numeric.size(); ++j) {
      kernels::NumericColumnView v = p.numeric[j];
      const bool ind = v.indicator_out >= 0;
      if (v.cat_out >= 0) v.cat_out = 0;
      if (v.dense_out >= 0) v.dense_out = 0;
      if (ind) v.indicator_out = v.dense_out >= 0 ? 1 : 0;
      r->ops[j].gpu_ms = GpuMs(opt.repeats, s, [&] {
        kernels::TransformNumericColumns(dev, &v, 1, p.bounds.data(),
                                         static_cast<int32_t>(p.bounds.size()), n, d1.as<float>(),
                                         2, c1.as<int64_t>(), 1, s);
      });
    }
    for (size_t k = 0; k < p.outputs.size(); ++k) {
      kernels::CategoricalOutputView o = p.outputs[k];
      o.cat_out = 0;
      r->ops[p.numeric.size() + k].gpu_ms = GpuMs(opt.repeats, s, [&] {
        kernels::TransformCategoricalColumns(dev, p.inputs.data(),
                                             static_cast<int32_t>(p.inputs.size()), &o, 1, n,
                                             c1.as<int64_t>(), 1, s);
      });
    }
  }
  dp.buffers.clear();

  // (b) TransformFeatures from host memory, through pinned double-buffered chunks.
  TransformOptions topt;
  topt.chunk_rows = opt.chunk_rows;
  BENCH_CUDA(cudaMemsetAsync(dense.data(), 0xff, dense.size(), static_cast<cudaStream_t>(s)));
  BENCH_CUDA(cudaMemsetAsync(cats.data(), 0xff, cats.size(), static_cast<cudaStream_t>(s)));
  r->chunked_runs = TimeRuns(
      opt.host_repeats,
      [&] { TransformFeatures(table, state, dev, dense.as<float>(), cats.as<int64_t>(), s, topt); },
      [&] { SynchronizeStream(s); });
  CopyToHost(g_dense.data(), dense.data(), g_dense.size() * sizeof(float), s);
  CopyToHost(g_cats.data(), cats.data(), g_cats.size() * sizeof(int64_t), s);
  SynchronizeStream(s);
  if (!cpu_dense.empty()) {
    r->chunked_max_diff = 0;
    for (int64_t j = 0; j < dense_dim; ++j) {
      r->chunked_max_diff =
          std::max(r->chunked_max_diff, MaxDiff(g_dense, cpu_dense, dense_dim, j, n));
    }
    r->chunked_mismatches = 0;
    for (int64_t j = 0; j < cat_dim; ++j)
      r->chunked_mismatches += Mismatches(g_cats, cpu_cats, cat_dim, j, n);
  }
  r->gpu_status = r->gpu_name;
}

#else  // !FRESHET_WITH_CUDA

void RunGpu(const GpuOptions&, const Table&, const FeatureState&, const Plan&,
            const std::vector<float>&, const std::vector<int64_t>&, Report*) {
  AssertGpuSupport();
}

#endif  // FRESHET_WITH_CUDA

}  // namespace freshet::bench
