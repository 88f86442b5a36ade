// Feature-transform benchmark: fits the config's features on the benchmark table, then times
// TransformFeatures on the CPU (all threads and one thread, median of repeats) and each op alone;
// on a visible GPU it also times (a) the fused kernels on device-resident inputs, next to a
// device-to-device copy measured in the same run, (b) the full host-to-device chunked
// TransformFeatures, next to a pinned host-to-device copy, and reports every output's largest
// difference from the CPU result. HDF5 reading is never timed.
//
//   freshet_feature_bench --generate data.h5 --rows 10000000      # write the benchmark table
//   freshet_feature_bench --config scripts/bench/features_bench.yaml
//       (--input data.h5 | --synthetic ROWS) [--repeats 10] [--cpu-repeats 5] [--no-cpu] [--no-gpu]
//       [--no-ops] [--json out.json] [--table out.txt] [--state-out features.json]
//       [--head-out head.h5 --head-rows 100000] [--chunk-rows N]
//
// GB/s counts bytes read plus bytes written (every input byte once: values, string bytes and
// offsets; every output byte once), as CUDA's bandwidthTest counts a device copy.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"
#include "kernels/device.h"
#include "kernels/numeric_ops.h"
#include "kernels/parallel.h"
#include "scripts/bench/feature_bench.h"

namespace freshet::bench {
namespace {

struct Options {
  std::string config, input, generate, json_out, table_out, state_out, head_out;
  int64_t synthetic = 0, rows = 10'000'000, head_rows = 100'000;
  int64_t chunk_rows = TransformOptions{}.chunk_rows;
  uint64_t seed = 2024;
  int repeats = 10, cpu_repeats = 5;
  bool cpu = true, gpu = true, ops = true;
};

[[noreturn]] void Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --generate OUT.h5 [--rows N] [--seed S]\n"
               "       %s --config YAML (--input H5 | --synthetic N) [--seed S] [--repeats R]\n"
               "          [--cpu-repeats R] [--no-cpu] [--no-gpu] [--no-ops] [--json PATH]\n"
               "          [--table PATH] [--state-out PATH] [--head-out H5] [--head-rows N]\n"
               "          [--chunk-rows N]\n",
               argv0, argv0);
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  using Setter = std::function<void(const std::string&)>;
  const std::map<std::string, Setter> valued = {
      {"--config", [&](const std::string& v) { o.config = v; }},
      {"--input", [&](const std::string& v) { o.input = v; }},
      {"--generate", [&](const std::string& v) { o.generate = v; }},
      {"--synthetic", [&](const std::string& v) { o.synthetic = std::stoll(v); }},
      {"--rows", [&](const std::string& v) { o.rows = std::stoll(v); }},
      {"--seed", [&](const std::string& v) { o.seed = std::stoull(v); }},
      {"--repeats", [&](const std::string& v) { o.repeats = std::max(1, std::stoi(v)); }},
      {"--cpu-repeats", [&](const std::string& v) { o.cpu_repeats = std::max(1, std::stoi(v)); }},
      {"--json", [&](const std::string& v) { o.json_out = v; }},
      {"--table", [&](const std::string& v) { o.table_out = v; }},
      {"--state-out", [&](const std::string& v) { o.state_out = v; }},
      {"--head-out", [&](const std::string& v) { o.head_out = v; }},
      {"--head-rows", [&](const std::string& v) { o.head_rows = std::stoll(v); }},
      {"--chunk-rows",
       [&](const std::string& v) { o.chunk_rows = std::max<int64_t>(1, std::stoll(v)); }},
  };
  const std::map<std::string, bool*> off = {
      {"--no-cpu", &o.cpu}, {"--no-gpu", &o.gpu}, {"--no-ops", &o.ops}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (off.count(a)) {
      *off.at(a) = false;
    } else if (valued.count(a) && i + 1 < argc) {
      valued.at(a)(argv[++i]);
    } else {
      Usage(argv[0]);
    }
  }
  if (o.generate.empty() && (o.config.empty() || o.input.empty() == (o.synthetic <= 0))) {
    Usage(argv[0]);
  }
  return o;
}

// The op chain of each feature, for the tables: "fill mean+standardize".
std::vector<std::string> Describe(const std::vector<FeatureSpec>& specs, bool numeric) {
  using K = FeatureOp::Kind;
  static const std::map<K, const char*> kNames = {
      {K::kIndicator, "indicator"}, {K::kClip, "clip"},           {K::kStandardize, "standardize"},
      {K::kMinMax, "minmax"},       {K::kBucketize, "bucketize"}, {K::kVocab, "vocab"}};
  std::vector<std::string> out;
  for (const auto& s : specs) {
    if ((s.type == ColumnKind::kNumeric && !s.is_cross()) != numeric) continue;
    std::string d;
    for (const auto& op : s.ops) {
      if (!d.empty()) d += "+";
      if (op.kind == K::kFill) {
        d += op.fill == FeatureOp::Fill::kMean     ? "fill mean"
             : op.fill == FeatureOp::Fill::kMedian ? "fill median"
                                                   : "fill const";
      } else if (op.kind == K::kPointwise) {
        d += kernels::kPointwiseOps[op.pointwise].name;
      } else if (op.kind == K::kHash) {
        d += s.is_cross() ? "cross hash" : "hash";
      } else {
        d += kNames.at(op.kind);
      }
    }
    out.push_back(d);
  }
  return out;
}

// Host memory bandwidth: a `threads`-way parallel memcpy of 512 MiB, read + written, GB/s.
double HostCopyGbs(int threads) {
  const size_t n = size_t{512} << 20;
  std::vector<char> a(n, 1), b(n, 2);
  const auto ms = TimeRuns(5, [&] {
    kernels::ParallelForThreads(
        static_cast<int64_t>(n), 1 << 20, threads, [&](int64_t lo, int64_t hi) {
          std::memcpy(b.data() + lo, a.data() + lo, static_cast<size_t>(hi - lo));
        });
  });
  return 2.0 * n / (Median(ms) * 1e6);
}

// The first `k` rows of the CPU output as a table named like TransformToTable's.
Table HeadTable(const FeatureState& state, const std::vector<float>& dense,
                const std::vector<int64_t>& cats, int64_t k) {
  Table t;
  const auto dn = state.dense_names(), cn = state.categorical_names();
  const int64_t d = static_cast<int64_t>(dn.size()), c = static_cast<int64_t>(cn.size());
  for (int64_t j = 0; j < d; ++j) {
    Column col;
    col.name = dn[j];
    col.dtype = DType::kF32;
    col.rows = k;
    col.data.resize(k * sizeof(float));
    for (int64_t i = 0; i < k; ++i) col.mutable_values<float>()[i] = dense[i * d + j];
    t.columns.push_back(std::move(col));
  }
  for (int64_t j = 0; j < c; ++j) {
    Column col;
    col.name = cn[j];
    col.dtype = DType::kI64;
    col.rows = k;
    col.data.resize(k * sizeof(int64_t));
    for (int64_t i = 0; i < k; ++i) col.mutable_values<int64_t>()[i] = cats[i * c + j];
    t.columns.push_back(std::move(col));
  }
  return t;
}

// Runs fn with FRESHET_THREADS=1 (ParallelThreads() reads it on every call), then restores it.
template <typename Fn>
void OnOneThread(Fn&& fn) {
  const char* old = std::getenv("FRESHET_THREADS");
  const std::string saved = old ? old : "";
  setenv("FRESHET_THREADS", "1", 1);
  fn();
  if (old) {
    setenv("FRESHET_THREADS", saved.c_str(), 1);
  } else {
    unsetenv("FRESHET_THREADS");
  }
}

// Times each op alone (each writing its own output), on all threads and on one.
void RunCpuOps(const Options& opt, const Plan& plan, int64_t n, std::vector<OpResult>* ops) {
  const Device cpu{DeviceKind::kCpu, 0};
  const int repeats = std::min(opt.cpu_repeats, 3);
  std::vector<float> d1(n * 2);
  std::vector<int64_t> c1(n);
  std::vector<std::function<void()>> runs;
  for (size_t j = 0; j < plan.numeric.size(); ++j) {
    kernels::NumericColumnView v = plan.numeric[j];
    const bool ind = v.indicator_out >= 0;
    if (v.cat_out >= 0) v.cat_out = 0;
    if (v.dense_out >= 0) v.dense_out = 0;
    if (ind) v.indicator_out = v.dense_out >= 0 ? 1 : 0;
    runs.push_back([&, v] {
      kernels::TransformNumericColumns(cpu, &v, 1, plan.bounds.data(),
                                       static_cast<int32_t>(plan.bounds.size()), n, d1.data(), 2,
                                       c1.data(), 1, nullptr);
    });
  }
  for (size_t k = 0; k < plan.outputs.size(); ++k) {
    kernels::CategoricalOutputView o = plan.outputs[k];
    o.cat_out = 0;
    runs.push_back([&, o] {
      kernels::TransformCategoricalColumns(cpu, plan.inputs.data(),
                                           static_cast<int32_t>(plan.inputs.size()), &o, 1, n,
                                           c1.data(), 1, nullptr);
    });
  }
  for (size_t k = 0; k < runs.size(); ++k) {
    (*ops)[k].cpu_ms = Median(TimeRuns(repeats, runs[k]));
    OnOneThread([&] { (*ops)[k].cpu_ms_1t = Median(TimeRuns(repeats, runs[k])); });
  }
}

void RunCpu(const Options& opt, const Table& table, const FeatureState& state, const Plan& plan,
            std::vector<float>* dense, std::vector<int64_t>* cats, Report* r) {
  const Device cpu{DeviceKind::kCpu, 0};
  r->cpu_runs = TimeRuns(opt.cpu_repeats, [&] {
    TransformFeatures(table, state, cpu, dense->data(), cats->data(), nullptr);
  });
  OnOneThread([&] {
    r->cpu_runs_1t = TimeRuns(std::min(opt.cpu_repeats, 3), [&] {
      TransformFeatures(table, state, cpu, dense->data(), cats->data(), nullptr);
    });
  });
  // The reference output is the last run's (all runs write the same).
  if (opt.ops) RunCpuOps(opt, plan, table.rows(), &r->ops);
}

int Main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);
  if (!opt.generate.empty()) {
    const double t0 = NowMs();
    const Table t = MakeBenchTable(opt.rows, opt.seed);
    const double t1 = NowMs();
    WriteHdf5(opt.generate, t);
    std::printf("generated %lld rows in %.1f s, wrote %s in %.1f s\n",
                static_cast<long long>(opt.rows), (t1 - t0) / 1e3, opt.generate.c_str(),
                (NowMs() - t1) / 1e3);
    return 0;
  }
  const Config config = LoadConfig(opt.config);
  Report r;
  const double t0 = NowMs();
  Table table;
  if (opt.synthetic > 0) {
    table = MakeBenchTable(opt.synthetic, opt.seed);
  } else {
    std::vector<ColumnRequest> columns = config.Columns();
    columns.pop_back();  // the label: not a feature
    table = ReadHdf5(opt.input, columns);
  }
  r.load_s = (NowMs() - t0) / 1e3;
  const int64_t n = table.rows();
  r.rows = n;
  r.threads = kernels::ParallelThreads();
  std::printf("%s %lld rows in %.1f s\n", opt.synthetic > 0 ? "generated" : "read",
              static_cast<long long>(n), r.load_s);
  std::fflush(stdout);

  const double t1 = NowMs();
  const FeatureState state = FitFeatures(table, config.features);
  r.fit_s = (NowMs() - t1) / 1e3;
  std::printf("fit in %.2f s: %lld dense + %lld categorical outputs\n", r.fit_s,
              static_cast<long long>(state.dense_dim()),
              static_cast<long long>(state.categorical_dim()));
  std::fflush(stdout);
  if (!opt.state_out.empty()) {
    std::ofstream(opt.state_out) << state.ToJson().dump(2) << "\n";
  }

  const Plan plan = MakePlan(table, state);
  FRESHET_CHECK(plan.dense_dim == state.dense_dim() && plan.cat_dim == state.categorical_dim(),
                "bench plan disagrees with the state's output layout");
  const double total = TransformBytes(plan, n);
  r.output_bytes = n * (4.0 * plan.dense_dim + 8.0 * plan.cat_dim);
  r.input_bytes = total - r.output_bytes;
  const auto num_desc = Describe(config.features, true),
             cat_desc = Describe(config.features, false);
  for (size_t j = 0; j < plan.numeric.size(); ++j) {
    r.ops.push_back({state.numeric[j].column, num_desc[j], NumericBytes(plan, j, n)});
  }
  for (size_t k = 0; k < plan.outputs.size(); ++k) {
    r.ops.push_back({state.categorical[k].column, cat_desc[k], OutputBytes(plan, k, n)});
  }

  std::vector<float> dense;
  std::vector<int64_t> cats;
  if (opt.cpu) {
    r.host_gbs = HostCopyGbs(r.threads);
    r.host_gbs_1t = HostCopyGbs(1);
    dense.resize(n * plan.dense_dim);
    cats.resize(n * plan.cat_dim);
    RunCpu(opt, table, state, plan, &dense, &cats, &r);
    std::printf("CPU transform: median %.1f ms (%d threads), %.1f ms (1 thread)\n",
                Median(r.cpu_runs), r.threads, Median(r.cpu_runs_1t));
    std::fflush(stdout);
    if (!opt.head_out.empty()) {
      WriteHdf5(opt.head_out, HeadTable(state, dense, cats, std::min(opt.head_rows, n)));
    }
  }

  int rc = 0;
  if (!opt.gpu) {
    r.gpu_status = "skipped (--no-gpu)";
  } else if (!BuiltWithCuda()) {
    r.gpu_status = "none (built without CUDA)";
  } else if (CudaDeviceCount() == 0) {
    r.gpu_status = "none visible";
  } else {
    GpuOptions g;
    g.repeats = opt.repeats;
    g.host_repeats = std::min(opt.cpu_repeats, 5);
    g.ops = opt.ops;
    g.chunk_rows = opt.chunk_rows;
    try {
      RunGpu(g, table, state, plan, dense, cats, &r);
    } catch (const std::exception& e) {
      // Still print the CPU results; the exit code says the GPU part failed.
      r.gpu_status = std::string("FAILED: ") + e.what();
      rc = 1;
    }
  }

  const std::string tab = FormatTable(r);
  std::printf("%s", tab.c_str());
  if (!opt.table_out.empty()) std::ofstream(opt.table_out) << tab;
  if (!opt.json_out.empty()) std::ofstream(opt.json_out) << ReportJson(r).dump(2) << "\n";
  return rc;
}

}  // namespace
}  // namespace freshet::bench

int main(int argc, char** argv) {
  try {
    return freshet::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "freshet_feature_bench: %s\n", e.what());
    return 1;
  }
}
