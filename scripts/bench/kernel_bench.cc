// Kernel benchmark: device-to-device copy bandwidth, Standardize and HashStrings throughput on the
// GPU (cudaEvent timing, median of timed repeats after a warm-up) next to the multi-threaded CPU
// loops, and the largest GPU-vs-CPU difference. Without a visible GPU it reports the CPU only.
//
//   freshet_kernel_bench [--rows 10000000,20000000,50000000] [--repeats 10] [--cpu-repeats 3]
//
// GB/s counts bytes read plus bytes written, as CUDA's bandwidthTest does for device copies.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#ifdef FRESHET_WITH_CUDA
#include <cuda_runtime.h>
#endif

#include "kernels/device.h"
#include "kernels/hash.h"
#include "kernels/parallel.h"
#include "kernels/standardize.h"

namespace freshet::kernels {
namespace {

struct Options {
  std::vector<int64_t> rows = {10'000'000, 20'000'000, 50'000'000};
  int repeats = 10;
  int cpu_repeats = 3;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--rows" && has_value) {
      o.rows.clear();
      std::string list = argv[++i];
      for (size_t pos = 0; pos <= list.size();) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        o.rows.push_back(std::stoll(list.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else if (arg == "--repeats" && has_value) {
      o.repeats = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--cpu-repeats" && has_value) {
      o.cpu_repeats = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--rows N[,N...]] [--repeats R] [--cpu-repeats R]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Seeded inputs: floats with about 5% NaN; strings of 4..28 random bytes (16 on average, mostly
// invalid UTF-8) with about 1 in 16 marked missing.
struct Inputs {
  std::vector<float> floats;
  std::vector<char> bytes;
  std::vector<int64_t> offsets;
  std::vector<uint8_t> valid;
};

Inputs MakeInputs(int64_t n) {
  Inputs in;
  in.floats.resize(n);
  in.offsets.resize(n + 1);
  in.valid.resize(n);
  ParallelFor(n, 1 << 16, [&](int64_t begin, int64_t end) {
    uint64_t s = 0x5EED0000 + begin;
    for (int64_t i = begin; i < end; ++i) {
      const uint64_t r = SplitMix(s);
      in.floats[i] = (r % 20 == 0)
                         ? std::numeric_limits<float>::quiet_NaN()
                         : static_cast<float>(static_cast<int64_t>(r >> 40) - (1 << 23)) * 1e-3f;
      in.valid[i] = (r >> 8) % 16 != 0;
      in.offsets[i + 1] = 4 + static_cast<int64_t>((r >> 16) % 25);
    }
  });
  for (int64_t i = 0; i < n; ++i) in.offsets[i + 1] += in.offsets[i];
  in.bytes.resize(in.offsets[n]);
  ParallelFor(static_cast<int64_t>(in.bytes.size()), 1 << 20, [&](int64_t begin, int64_t end) {
    uint64_t s = 0xB17E5 + begin;
    for (int64_t i = begin; i < end; ++i) in.bytes[i] = static_cast<char>(SplitMix(s) >> 56);
  });
  return in;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double CpuMs(int repeats, const std::function<void()>& fn) {
  fn();  // warm-up: page faults, thread start-up
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return Median(ms);
}

struct Row {
  int64_t n;
  const char* what;
  double bytes;   // read + written
  double gpu_ms;  // NaN when not run
  double cpu_ms;  // NaN when not run
  double max_diff;
};

void PrintTable(const std::vector<Row>& rows) {
  std::printf("%10s  %-12s %9s %11s %9s %9s %11s %8s %12s\n", "rows", "kernel", "gpu ms",
              "gpu Mrow/s", "gpu GB/s", "cpu ms", "cpu Mrow/s", "speedup", "max|gpu-cpu|");
  auto num = [](double v, const char* fmt) {
    static char buf[8][32];
    static int k = 0;
    char* b = buf[k++ % 8];
    if (std::isnan(v)) {
      std::snprintf(b, 32, "-");
    } else {
      std::snprintf(b, 32, fmt, v);
    }
    return b;
  };
  for (const Row& r : rows) {
    const double gpu_rows = r.n / (r.gpu_ms * 1e3);
    const double gpu_gbs = r.bytes / (r.gpu_ms * 1e6);
    const double cpu_rows = r.n / (r.cpu_ms * 1e3);
    std::printf("%10lld  %-12s %9s %11s %9s %9s %11s %8s %12s\n", static_cast<long long>(r.n),
                r.what, num(r.gpu_ms, "%.3f"), num(gpu_rows, "%.0f"), num(gpu_gbs, "%.0f"),
                num(r.cpu_ms, "%.2f"), num(cpu_rows, "%.0f"), num(r.cpu_ms / r.gpu_ms, "%.0fx"),
                num(r.max_diff, "%.3g"));
  }
}

#ifdef FRESHET_WITH_CUDA
#define BENCH_CUDA(expr)                                                                         \
  do {                                                                                           \
    const cudaError_t e = (expr);                                                                \
    if (e != cudaSuccess) {                                                                      \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, cudaGetErrorString(e)); \
      std::exit(1);                                                                              \
    }                                                                                            \
  } while (0)

double GpuMs(int repeats, cudaStream_t stream, const std::function<void()>& fn) {
  cudaEvent_t start, stop;
  BENCH_CUDA(cudaEventCreate(&start));
  BENCH_CUDA(cudaEventCreate(&stop));
  fn();  // warm-up
  fn();
  BENCH_CUDA(cudaStreamSynchronize(stream));
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
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
#endif

int Main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);
  [[maybe_unused]] const bool gpu = CudaDeviceCount() > 0;
#ifdef FRESHET_WITH_CUDA
  cudaStream_t stream = nullptr;
  if (gpu) {
    cudaDeviceProp prop;
    BENCH_CUDA(cudaGetDeviceProperties(&prop, 0));
    std::printf("GPU: %s, %d SMs, %.0f GiB; ", prop.name, prop.multiProcessorCount,
                prop.totalGlobalMem / 1073741824.0);
    BENCH_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  } else {
    std::printf("no GPU (CUDA build, no device visible): CPU numbers only; ");
  }
#else
  std::printf("no GPU (built without CUDA): CPU numbers only; ");
#endif
  std::printf("CPU threads: %d; GPU median of %d, CPU median of %d timed runs\n", ParallelThreads(),
              opt.repeats, opt.cpu_repeats);

  const StandardizeOp std_op{0.5f, 12.f, 1.f / 3000.f};
  const HashBucketOp hash_op{0xF2E5, 1 << 20};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Row> rows;
  for (const int64_t n : opt.rows) {
    const Inputs in = MakeInputs(n);
    const double string_bytes = static_cast<double>(in.bytes.size());
    std::vector<float> cpu_std(n);
    std::vector<int64_t> cpu_hash(n);
    const double cpu_std_ms = CpuMs(opt.cpu_repeats, [&] {
      cpu_impl::Standardize(in.floats.data(), n, std_op, cpu_std.data(), 1);
    });
    const double cpu_hash_ms = CpuMs(opt.cpu_repeats, [&] {
      cpu_impl::HashStrings(in.bytes.data(), in.offsets.data(), in.valid.data(), n, hash_op,
                            cpu_hash.data(), 1);
    });
    Row copy{n, "d2d memcpy", 8.0 * n, nan, nan, nan};
    Row stdz{n, "standardize", 8.0 * n, nan, cpu_std_ms, nan};
    Row hash{n, "hash_strings", string_bytes + 8.0 * (n + 1) + n + 8.0 * n, nan, cpu_hash_ms, nan};
#ifdef FRESHET_WITH_CUDA
    if (gpu) {
      const Device dev{DeviceKind::kCuda, 0};
      DeviceBuffer d_floats(n * sizeof(float), stream), d_std(n * sizeof(float), stream);
      DeviceBuffer d_bytes(in.bytes.size(), stream), d_offsets((n + 1) * sizeof(int64_t), stream);
      DeviceBuffer d_valid(n, stream), d_hash(n * sizeof(int64_t), stream);
      CopyToDevice(d_floats.data(), in.floats.data(), n * sizeof(float), stream);
      CopyToDevice(d_bytes.data(), in.bytes.data(), in.bytes.size(), stream);
      CopyToDevice(d_offsets.data(), in.offsets.data(), (n + 1) * sizeof(int64_t), stream);
      CopyToDevice(d_valid.data(), in.valid.data(), n, stream);
      SynchronizeStream(stream);

      copy.gpu_ms = GpuMs(opt.repeats, stream, [&] {
        BENCH_CUDA(cudaMemcpyAsync(d_std.data(), d_floats.data(), n * sizeof(float),
                                   cudaMemcpyDeviceToDevice, stream));
      });
      stdz.gpu_ms = GpuMs(opt.repeats, stream, [&] {
        Standardize(dev, d_floats.as<float>(), n, std_op, d_std.as<float>(), 1, stream);
      });
      hash.gpu_ms = GpuMs(opt.repeats, stream, [&] {
        HashStrings(dev, d_bytes.as<char>(), d_offsets.as<int64_t>(), d_valid.as<uint8_t>(), n,
                    hash_op, d_hash.as<int64_t>(), 1, stream);
      });

      std::vector<float> gpu_std(n);
      std::vector<int64_t> gpu_hash(n);
      CopyToHost(gpu_std.data(), d_std.data(), n * sizeof(float), stream);
      CopyToHost(gpu_hash.data(), d_hash.data(), n * sizeof(int64_t), stream);
      SynchronizeStream(stream);
      stdz.max_diff = 0;
      hash.max_diff = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double a = gpu_std[i], b = cpu_std[i];
        if (std::isnan(a) != std::isnan(b)) {
          stdz.max_diff = std::numeric_limits<double>::infinity();
        } else if (!std::isnan(a)) {
          stdz.max_diff = std::max(stdz.max_diff, std::fabs(a - b));
        }
        hash.max_diff =
            std::max(hash.max_diff, std::fabs(static_cast<double>(gpu_hash[i] - cpu_hash[i])));
      }
    }
#endif
    rows.push_back(copy);
    rows.push_back(stdz);
    rows.push_back(hash);
  }
#ifdef FRESHET_WITH_CUDA
  if (stream != nullptr) BENCH_CUDA(cudaStreamDestroy(stream));
#endif
  PrintTable(rows);
  return 0;
}

}  // namespace
}  // namespace freshet::kernels

int main(int argc, char** argv) { return freshet::kernels::Main(argc, argv); }
