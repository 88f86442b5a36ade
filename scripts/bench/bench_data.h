// Shared by the feature benchmarks (feature_bench.cc, torch_feature_bench.cc): the seeded
// benchmark table, timing helpers, the bytes a transform moves, and the kernels' column views built
// straight from a Table, so a benchmark can point them at device copies of the columns and time the
// fused kernels without the host-to-device staging of TransformFeatures.
//
// The table (12 numeric + 6 categorical columns) is a pure function of (rows, seed): every value
// comes from a counter-based generator keyed by (seed, column, row), so any thread count, and the
// HDF5 file written from it, give the same data.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "freshet/table.hpp"
#include "kernels/categorical_transform.h"
#include "kernels/numeric_transform.h"
#include "kernels/parallel.h"
// Internal: the vocabulary lookup table TransformFeatures builds, so the device views search the
// very same keys.
#include "src/features/plan.h"

namespace freshet::bench {

// ---------------------------------------------------------------------------------------------
// The benchmark table.

inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The r-th random 64-bit word of (seed, column, row).
inline uint64_t Draw(uint64_t seed, uint64_t column, int64_t row, uint64_t r = 0) {
  return Mix64(Mix64(seed * 0x9E3779B97F4A7C15ULL + column) + static_cast<uint64_t>(row) * 4 + r);
}

// Uniform in [0, 1).
inline double U01(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

inline double Normal(uint64_t a, uint64_t b) {
  const double u1 = 1.0 - U01(a);  // (0, 1]
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * U01(b));
}

// The string categories: ~200 short "regions" and ~50k "SKUs" of 14 to 21 bytes.
inline std::string RegionName(int64_t k) {
  static const char* kParts[] = {"north", "south", "east", "west", "central", "coastal", "alpine"};
  return std::string(kParts[k % 7]) + "-" + std::to_string(k);
}
inline std::string SkuName(int64_t k) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "sku-%05lld-%08llx%s", static_cast<long long>(k),
                static_cast<unsigned long long>(Mix64(static_cast<uint64_t>(k)) & 0xffffffffULL),
                k % 4 == 0 ? "-xl" : (k % 4 == 1 ? "-bundle" : ""));
  return buf;
}

// Column names, in the order the table holds them.
inline const std::vector<std::string>& NumericNames() {
  static const std::vector<std::string> names = {"n00", "n01", "n02", "n03", "n04", "n05",
                                                 "n06", "n07", "n08", "n09", "n10", "n11"};
  return names;
}

inline Column StringColumn(const std::string& name, int64_t rows,
                           const std::vector<std::string>& dict, uint64_t seed, uint64_t col,
                           double power) {
  std::vector<int32_t> pick(rows);
  const int64_t k = static_cast<int64_t>(dict.size());
  kernels::ParallelFor(rows, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const uint64_t r = Draw(seed, col, i);
      // 1% missing (the empty string); otherwise a skewed pick, the head far more frequent.
      pick[i] = (r & 127) < 1 ? -1
                              : static_cast<int32_t>(std::min<int64_t>(
                                    k - 1, static_cast<int64_t>(k * std::pow(U01(r), power))));
    }
  });
  Column c;
  c.name = name;
  c.dtype = DType::kString;
  c.rows = rows;
  c.offsets.resize(rows + 1);
  c.offsets[0] = 0;
  for (int64_t i = 0; i < rows; ++i) {
    c.offsets[i + 1] =
        c.offsets[i] + (pick[i] < 0 ? 0 : static_cast<int64_t>(dict[pick[i]].size()));
  }
  c.bytes.resize(static_cast<size_t>(c.offsets[rows]));
  kernels::ParallelFor(rows, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      if (pick[i] >= 0) {
        std::memcpy(c.bytes.data() + c.offsets[i], dict[pick[i]].data(), dict[pick[i]].size());
      }
    }
  });
  return c;
}

template <typename T, typename Fn>
Column CodeColumn(const std::string& name, int64_t rows, Fn&& value) {
  Column c;
  c.name = name;
  c.dtype = sizeof(T) == 4 ? DType::kI32 : DType::kI64;
  c.rows = rows;
  c.data.resize(static_cast<size_t>(rows) * sizeof(T));
  T* out = c.mutable_values<T>();
  kernels::ParallelFor(rows, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = static_cast<T>(value(i));
  });
  return c;
}

// `rows` rows of: n00..n11 float32 with ~5% NaN each (n00-n03 normal, n04-n05 log-normal "income",
// n06-n07 shifted exponential with 0.5% large outliers, n08-n09 uniform, n10-n11 integer counts);
// str_200 and str_50k strings (~1% missing), code_10, code_1k (int32), code_100k and code_1m
// (int64) integer codes.
inline Table MakeBenchTable(int64_t rows, uint64_t seed = 2024) {
  Table t;
  for (int j = 0; j < 12; ++j) {
    Column c;
    c.name = NumericNames()[j];
    c.dtype = DType::kF32;
    c.rows = rows;
    c.data.resize(static_cast<size_t>(rows) * sizeof(float));
    float* out = c.mutable_values<float>();
    kernels::ParallelFor(rows, 1 << 16, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const uint64_t r0 = Draw(seed, j, i, 0), r1 = Draw(seed, j, i, 1);
        if (r0 % 20 == 0) {
          out[i] = std::numeric_limits<float>::quiet_NaN();
          continue;
        }
        const double u = U01(r1), z = Normal(r0, r1);
        double x;
        if (j < 4) {
          x = 10.0 * j + 5.0 + (1.0 + j) * z;
        } else if (j < 6) {
          x = std::exp(10.0 + 0.8 * z);
        } else if (j < 8) {
          x = -5.0 - 20.0 * std::log(1.0 - u);
          if ((r0 >> 32) % 200 == 0) x *= 100.0;
        } else if (j < 10) {
          x = 1000.0 * u;
        } else {
          x = std::floor(std::exp(3.0 + z));
        }
        out[i] = static_cast<float>(x);
      }
    });
    t.columns.push_back(std::move(c));
  }
  std::vector<std::string> regions, skus;
  for (int64_t k = 0; k < 200; ++k) regions.push_back(RegionName(k));
  for (int64_t k = 0; k < 50000; ++k) skus.push_back(SkuName(k));
  t.columns.push_back(StringColumn("str_200", rows, regions, seed, 100, 2.0));
  t.columns.push_back(StringColumn("str_50k", rows, skus, seed, 101, 1.5));
  auto skew = [&](uint64_t col, int64_t i, double k, double power) {
    return static_cast<int64_t>(k * std::pow(U01(Draw(seed, col, i)), power));
  };
  t.columns.push_back(
      CodeColumn<int32_t>("code_10", rows, [&](int64_t i) { return skew(102, i, 10, 2.0); }));
  t.columns.push_back(CodeColumn<int32_t>(
      "code_1k", rows, [&](int64_t i) { return 1000 + skew(103, i, 1000, 2.0); }));
  t.columns.push_back(CodeColumn<int64_t>("code_100k", rows, [&](int64_t i) {
    return int64_t{1000000000} + 17 * skew(104, i, 100000, 2.0);
  }));
  t.columns.push_back(CodeColumn<int64_t>("code_1m", rows, [&](int64_t i) {
    return static_cast<int64_t>(Mix64(static_cast<uint64_t>(skew(105, i, 1000000, 1.0))) &
                                ((uint64_t{1} << 40) - 1));
  }));
  return t;
}

// ---------------------------------------------------------------------------------------------
// Timing.

inline double Median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

inline double NowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Runs fn once to warm up (page faults, thread start-up), then `repeats` timed runs; returns each
// run's wall time in ms. `sync` (may be empty) runs inside each timed interval after fn, to wait
// for queued device work.
inline std::vector<double> TimeRuns(int repeats, const std::function<void()>& fn,
                                    const std::function<void()>& sync = {}) {
  fn();
  if (sync) sync();
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = NowMs();
    fn();
    if (sync) sync();
    ms.push_back(NowMs() - t0);
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Bytes a transform moves: every input byte read once (offsets and validity included) and every
// output byte written once. Caches and vocabulary tables are not counted.

inline double ColumnBytes(const Column& c) {
  double b = c.valid.empty() ? 0.0 : static_cast<double>(c.rows);
  if (c.is_string()) return b + static_cast<double>(c.bytes.size()) + 8.0 * (c.rows + 1);
  return b + static_cast<double>(c.data.size());
}

// ---------------------------------------------------------------------------------------------
// The kernels' views of a table, as TransformFeatures builds them (src/features/transform.cc):
// the same output layout, the same vocabulary keys. Pointers are the table's host memory.

using Plan = TransformPlan;

inline Plan MakePlan(const Table& table, const FeatureState& state) {
  return MakeTransformPlan(table, state);
}

// Bytes moved by output k of the plan alone (its inputs read, one int64 a row written).
inline double OutputBytes(const Plan& p, size_t k, int64_t rows) {
  double b = 8.0 * rows;
  const auto& o = p.outputs[k];
  for (int j = 0; j < o.n_inputs; ++j) b += ColumnBytes(*p.cat_cols[o.inputs[j]]);
  return b;
}

// Bytes moved by numeric view j alone.
inline double NumericBytes(const Plan& p, size_t j, int64_t rows) {
  const auto& v = p.numeric[j];
  double b = ColumnBytes(*p.numeric_cols[j]);
  b += v.cat_out >= 0 ? 8.0 * rows : 4.0 * rows;
  if (v.indicator_out >= 0) b += 4.0 * rows;
  return b;
}

// Bytes moved by the whole transform: every distinct input once, both outputs once.
inline double TransformBytes(const Plan& p, int64_t rows) {
  double b = 0;
  for (const Column* c : p.numeric_cols) b += ColumnBytes(*c);
  for (const Column* c : p.cat_cols) b += ColumnBytes(*c);
  return b + rows * (4.0 * p.dense_dim + 8.0 * p.cat_dim);
}

}  // namespace freshet::bench
