// The numeric feature transform written as LibTorch tensor ops, against freshet's fused numeric
// kernel on the same tensors, device and stream, in the same run: the "at least 3x the same
// transform written as LibTorch tensor ops" check of the feature engine (issue 3). The LibTorch
// version is what a LibTorch user would write: per column isnan, where (fill), clamp (clip),
// sign * log1p(abs) (log1p), (x - shift) * scale (standardize / minmax), bucketize + 2 (quantile
// buckets), the indicator as a float, each result copied into its column of preallocated
// [N, D] float32 and [N, C] int64 outputs, in float32. freshet computes in double and rounds once,
// so dense outputs differ by float32 rounding.
//
//   freshet_torch_feature_bench --config scripts/bench/features_bench.yaml
//       (--input data.h5 | --synthetic ROWS) [--state features.json] [--device auto|cpu|cuda]
//       [--repeats R] [--json out.json] [--table out.txt]
//
// No spdlog here: LibTorch's bundled fmt clashes with the system one spdlog uses.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"
#include "kernels/device.h"
#include "kernels/numeric_ops.h"
#include "kernels/numeric_transform.h"
#include "kernels/parallel.h"
#include "scripts/bench/bench_data.h"

namespace freshet::bench {
namespace {

struct Options {
  std::string config, input, state, device = "auto", json_out, table_out;
  int64_t synthetic = 0;
  uint64_t seed = 2024;
  int repeats = 0;  // 0: 20 on a GPU, 3 on the CPU
};

[[noreturn]] void Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --config YAML (--input H5 | --synthetic N) [--seed S] [--state JSON]\n"
               "          [--device auto|cpu|cuda] [--repeats R] [--json PATH] [--table PATH]\n",
               argv0);
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  using Setter = std::function<void(const std::string&)>;
  const std::map<std::string, Setter> valued = {
      {"--config", [&](const std::string& v) { o.config = v; }},
      {"--input", [&](const std::string& v) { o.input = v; }},
      {"--synthetic", [&](const std::string& v) { o.synthetic = std::stoll(v); }},
      {"--seed", [&](const std::string& v) { o.seed = std::stoull(v); }},
      {"--state", [&](const std::string& v) { o.state = v; }},
      {"--device", [&](const std::string& v) { o.device = v; }},
      {"--repeats", [&](const std::string& v) { o.repeats = std::max(1, std::stoi(v)); }},
      {"--json", [&](const std::string& v) { o.json_out = v; }},
      {"--table", [&](const std::string& v) { o.table_out = v; }},
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (!valued.count(a) || i + 1 >= argc) Usage(argv[0]);
    valued.at(a)(argv[++i]);
  }
  if (o.config.empty() || o.input.empty() == (o.synthetic <= 0)) Usage(argv[0]);
  return o;
}

at::ScalarType TorchType(const Column& c) {
  switch (c.dtype) {
    case DType::kF32:
      return at::kFloat;
    case DType::kF64:
      return at::kDouble;
    case DType::kI32:
      return at::kInt;
    case DType::kI64:
      return at::kLong;
    case DType::kString:
      break;
  }
  throw DataError("column \"" + c.name + "\": expected numbers");
}

// The LibTorch version. `cols[j]` is numeric state j's column, `valid[j]` its validity bytes or an
// undefined tensor, `bounds[j]` its float32 boundaries (bucketised columns only).
void TorchNumeric(const FeatureState& state, const std::vector<at::Tensor>& cols,
                  const std::vector<at::Tensor>& valid, const std::vector<at::Tensor>& bounds,
                  at::Tensor& dense, at::Tensor& cats) {
  int64_t d = 0, c = 0;
  for (size_t j = 0; j < state.numeric.size(); ++j) {
    const NumericState& s = state.numeric[j];
    at::Tensor x = cols[j].scalar_type() == at::kFloat ? cols[j] : cols[j].to(at::kFloat);
    at::Tensor missing = at::isnan(x);
    if (valid[j].defined()) missing.logical_or_(valid[j].eq(0));
    at::Tensor y = at::where(missing, at::Scalar(s.fill_value), x);
    if (std::isfinite(s.clip_lo) || std::isfinite(s.clip_hi)) {
      y = at::clamp(y,
                    std::isfinite(s.clip_lo) ? std::optional<at::Scalar>(s.clip_lo) : std::nullopt,
                    std::isfinite(s.clip_hi) ? std::optional<at::Scalar>(s.clip_hi) : std::nullopt);
    }
    if (s.applies(kernels::kLog1p)) y = at::sign(y).mul_(at::log1p(at::abs(y)));
    if (s.applies(kernels::kSqrt)) y = at::sign(y).mul_(at::sqrt(at::abs(y)));
    if (s.scaling != "none") y = y.sub(s.shift).mul_(s.scale);
    if (s.bucketize) {
      cats.select(1, c++).copy_(
          at::bucketize(y, bounds[j], /*out_int32=*/false, /*right=*/true).add_(2));
    } else {
      dense.select(1, d++).copy_(y);
    }
    if (s.indicator) dense.select(1, d++).copy_(missing);
  }
}

int Main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);
  const Config config = LoadConfig(opt.config);
  std::vector<FeatureSpec> specs;
  std::vector<ColumnRequest> columns;
  for (const auto& s : config.features) {
    if (s.type != ColumnKind::kNumeric || s.is_cross()) continue;
    specs.push_back(s);
    columns.push_back({s.column, ColumnKind::kNumeric});
  }
  const Table table =
      opt.synthetic > 0 ? MakeBenchTable(opt.synthetic, opt.seed) : ReadHdf5(opt.input, columns);
  const int64_t n = table.rows();
  FeatureState state;
  if (!opt.state.empty()) {
    std::ifstream in(opt.state);
    if (!in) throw IoError(opt.state + ": cannot read");
    state = FeatureState::FromJson(nlohmann::json::parse(in), opt.state);
  } else {
    state = FitFeatures(table, specs);
  }
  state.categorical.clear();  // the numeric part only: LibTorch has no string hashing
  const Plan plan = MakePlan(table, state);
  const int64_t dense_dim = plan.dense_dim, cat_dim = plan.cat_dim;

  const Device dev = ResolveDevice(opt.device);
  const bool cuda = dev.is_cuda();
  if (cuda && !torch::cuda::is_available())
    throw std::runtime_error("LibTorch sees no CUDA device");
  const at::Device tdev = cuda ? at::Device(at::kCUDA, dev.index) : at::Device(at::kCPU);
  const int repeats = opt.repeats > 0 ? opt.repeats : (cuda ? 20 : 3);

  // Inputs on the device, shared by both versions.
  std::vector<at::Tensor> cols, valid, bounds;
  std::vector<kernels::NumericColumnView> views = plan.numeric;
  for (size_t j = 0; j < plan.numeric.size(); ++j) {
    const Column& col = *plan.numeric_cols[j];
    cols.push_back(at::from_blob(const_cast<uint8_t*>(col.data.data()), {n},
                                 at::TensorOptions().dtype(TorchType(col)))
                       .to(tdev, /*non_blocking=*/false, /*copy=*/true));
    valid.push_back(col.valid.empty()
                        ? at::Tensor()
                        : at::from_blob(const_cast<uint8_t*>(col.valid.data()), {n}, at::kByte)
                              .to(tdev, false, true));
    const auto& b = state.numeric[j].boundaries;
    bounds.push_back(at::tensor(std::vector<float>(b.begin(), b.end()), at::kFloat).to(tdev));
    views[j].values = cols.back().data_ptr();
    views[j].valid = valid.back().defined() ? valid.back().data_ptr<uint8_t>() : nullptr;
  }
  const auto out_opts = at::TensorOptions().device(tdev);
  at::Tensor f_dense = at::empty({n, dense_dim}, out_opts.dtype(at::kFloat));
  at::Tensor f_cats = at::empty({n, std::max<int64_t>(cat_dim, 1)}, out_opts.dtype(at::kLong));
  at::Tensor t_dense = at::empty({n, dense_dim}, out_opts.dtype(at::kFloat));
  at::Tensor t_cats = at::empty({n, std::max<int64_t>(cat_dim, 1)}, out_opts.dtype(at::kLong));

  // Both versions run on the legacy default stream, LibTorch's current stream unless changed.
  const auto sync = [&] {
    if (cuda) torch::cuda::synchronize();
  };
  const auto fused = [&] {
    kernels::TransformNumericColumns(dev, views.data(), static_cast<int32_t>(views.size()),
                                     plan.bounds.data(), static_cast<int32_t>(plan.bounds.size()),
                                     n, f_dense.data_ptr<float>(), dense_dim,
                                     f_cats.data_ptr<int64_t>(), cat_dim, nullptr);
  };
  const auto torch_ops = [&] { TorchNumeric(state, cols, valid, bounds, t_dense, t_cats); };
  const double f_ms = Median(TimeRuns(repeats, fused, sync));
  const double t_ms = Median(TimeRuns(repeats, torch_ops, sync));

  double bytes = n * (4.0 * dense_dim + 8.0 * cat_dim);
  for (const Column* c : plan.numeric_cols) bytes += ColumnBytes(*c);
  const double max_diff = dense_dim > 0 ? (f_dense - t_dense).abs().max().item<double>() : 0.0;
  const int64_t mismatches =
      cat_dim > 0
          ? f_cats.slice(1, 0, cat_dim).ne(t_cats.slice(1, 0, cat_dim)).sum().item<int64_t>()
          : 0;

  char buf[1024];
  std::snprintf(
      buf, sizeof(buf),
      "numeric transform, %lld rows x %zu columns (%lld dense + %lld bucket outputs) on "
      "%s, %s threads; median of %d\n"
      "%-28s %9s %9s\n"
      "%-28s %9.3f %9.1f\n"
      "%-28s %9.3f %9.1f\n"
      "LibTorch / freshet: %.2fx; max|freshet-torch| dense %.3g, bucket mismatches %lld\n",
      static_cast<long long>(n), state.numeric.size(), static_cast<long long>(dense_dim),
      static_cast<long long>(cat_dim), dev.str().c_str(),
      cuda ? "-" : std::to_string(at::get_num_threads()).c_str(), repeats, "version", "ms", "GB/s",
      "freshet fused kernel", f_ms, bytes / (f_ms * 1e6), "LibTorch tensor ops", t_ms,
      bytes / (t_ms * 1e6), t_ms / f_ms, max_diff, static_cast<long long>(mismatches));
  std::printf("%s", buf);
  if (!opt.table_out.empty()) std::ofstream(opt.table_out) << buf;
  if (!opt.json_out.empty()) {
    const nlohmann::json j = {{"rows", n},
                              {"device", dev.str()},
                              {"bytes", bytes},
                              {"freshet_ms", f_ms},
                              {"torch_ms", t_ms},
                              {"ratio", t_ms / f_ms},
                              {"max_diff", max_diff},
                              {"mismatches", mismatches},
                              {"freshet_threads", kernels::ParallelThreads()},
                              {"torch_threads", at::get_num_threads()}};
    std::ofstream(opt.json_out) << j.dump(2) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace freshet::bench

int main(int argc, char** argv) {
  try {
    return freshet::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "freshet_torch_feature_bench: %s\n", e.what());
    return 1;
  }
}
