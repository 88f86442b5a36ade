// Shared by the sources of freshet_feature_bench: what one run measured, and the GPU half.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/features.hpp"
#include "freshet/table.hpp"
#include "scripts/bench/bench_data.h"

namespace freshet::bench {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One row of the tables: one op (a numeric feature's chain, or one categorical output) alone.
struct OpResult {
  std::string name, op;
  double bytes = 0;
  double cpu_ms = kNaN, gpu_ms = kNaN;
  double cpu_ms_1t = kNaN;  // the CPU on one thread: the per-core comparison with scikit-learn
  double max_diff = kNaN;   // dense outputs: max |gpu - cpu|
  int64_t mismatches = -1;  // categorical outputs: rows whose index differs
};

// The state of the run, gathered for the JSON and the tables.
struct Report {
  int64_t rows = 0;
  int threads = 1;
  double input_bytes = 0, output_bytes = 0;
  double load_s = kNaN, fit_s = kNaN;
  double host_gbs = kNaN, host_gbs_1t = kNaN;
  std::vector<double> cpu_runs, cpu_runs_1t;
  std::vector<OpResult> ops;
  std::string gpu_name;
  double d2d_gbs = kNaN, h2d_gbs = kNaN;
  double gpu_numeric_ms = kNaN, gpu_categorical_ms = kNaN, gpu_fused_ms = kNaN;
  double numeric_bytes = 0, categorical_bytes = 0;
  double launch_us = kNaN;
  std::vector<double> chunked_runs;
  double chunked_max_diff = kNaN;
  int64_t chunked_mismatches = -1;
  std::string gpu_status = "not run";
};

// The run as text: a few summary lines, then one line per op (the short table gpu-check.sh prints).
std::string FormatTable(const Report& r);
// The run as JSON, times in ms, bandwidths in GB/s (1e9 bytes/s), null where not measured.
nlohmann::json ReportJson(const Report& r);

// Largest |a - b| over column `col` of two row-major [rows, dim] float arrays; infinity where one
// is NaN and the other is not.
double MaxDiff(const std::vector<float>& a, const std::vector<float>& b, int64_t dim, int64_t col,
               int64_t rows);
// Rows where column `col` of two row-major [rows, dim] index arrays differ.
int64_t Mismatches(const std::vector<int64_t>& a, const std::vector<int64_t>& b, int64_t dim,
                   int64_t col, int64_t rows);
// Fills the diff columns of `ops` (numeric views first, then categorical outputs) by comparing an
// output with the CPU's.
void Compare(const Plan& p, int64_t n, const std::vector<float>& dense,
             const std::vector<int64_t>& cats, const std::vector<float>& cpu_dense,
             const std::vector<int64_t>& cpu_cats, std::vector<OpResult>* ops);

struct GpuOptions {
  int repeats = 10;      // cudaEvent-timed runs of each kernel
  int host_repeats = 3;  // wall-clock runs of the chunked TransformFeatures
  bool ops = true;       // also time each op alone
  int64_t chunk_rows = TransformOptions{}.chunk_rows;
};

// Times the GPU on CUDA device 0 and fills the gpu fields of `r` (and r->ops' gpu_ms and diffs,
// against `cpu_dense`/`cpu_cats` when they are not empty). REQUIRES: a visible CUDA device and a
// CUDA build (otherwise it throws).
void RunGpu(const GpuOptions& opt, const Table& table, const FeatureState& state, const Plan& plan,
            const std::vector<float>& cpu_dense, const std::vector<int64_t>& cpu_cats, Report* r);

}  // namespace freshet::bench
