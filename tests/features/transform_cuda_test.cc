// The feature stage on a GPU against the CPU path, the test oracle: FitFeatures on CUDA against
// FitFeatures on the CPU, and TransformFeatures / TransformToTable through the chunked, pinned,
// double-buffered CUDA path against the CPU transform, on the same seeded tables (NaN, masks, ±Inf,
// values near the float limits, denormals, empty and odd strings, row counts that are not multiples
// of the block size, one chunk and many). Every test is skipped where no CUDA device is visible.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "kernels/device_vector.h"
#include "kernels/numeric_ops.h"

namespace freshet {
namespace {

using kernels::test_util::DeviceVector;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kDenseSentinel = -12345.f;
constexpr int64_t kCatSentinel = -7;

// Tolerances. Dense: the math is double on both sides and rounded to float at the end; the
// device's log1p may differ from the host's by an ulp in double, which can move the float by one
// rounding step: |gpu - cpu| <= 1e-6 * max(1, |cpu|), infinities equal. Categorical indices (hash,
// vocabulary, cross, bucket) are exact, except that a log1p-then-bucketized value within 1e-12
// (relative) of a boundary may land one bucket either side (the number of such flips is printed).
// Fit statistics merge in another order on the device: within 1e-12 relative (1e-9 for quantile
// boundaries, which are computed on the host from the device's shift and scale); counts and
// vocabularies exact, min and max exact but for an ulp of log1p.
constexpr double kDenseTol = 1e-6;

// Every column kind, random, with NaN and masks; ±Inf only when `infinities` (the fit refuses to
// keep a finite state with them, see ops_fit_test.cc).
Table RandomTable(int64_t n, uint64_t seed, bool infinities) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> a(n), b(n);
  std::vector<float> c(n);
  std::vector<int32_t> d(n), k32(n);
  std::vector<int64_t> e(n), code(n);
  std::vector<uint8_t> d_valid(n), code_valid(n);
  std::vector<std::string> city(n), dev(n);
  std::vector<uint8_t> city_valid(n);
  const float fmax = std::numeric_limits<float>::max();
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = rng() % 1000;
    a[i] = r < 70 ? kNan : normal(rng) * 300 + 100;
    if (infinities && r == 70) a[i] = kInf;
    if (infinities && r == 71) a[i] = -kInf;
    b[i] = r % 7 == 0 ? kNan : std::exp(normal(rng) * 2) * (r % 5 == 0 ? -1 : 1);
    const uint64_t q = rng() % 1000;
    c[i] = q < 90    ? std::nanf("")
           : q == 90 ? fmax
           : q == 91 ? -fmax
           : q == 92 ? std::numeric_limits<float>::denorm_min()
           : q == 93 ? 1e-40f
                     : static_cast<float>(normal(rng));
    d[i] = static_cast<int32_t>(rng() % 20001) - 10000;
    d_valid[i] = rng() % 6 != 0;
    e[i] = static_cast<int64_t>(rng() % (uint64_t{1} << 52)) + (int64_t{1} << 40);
    code[i] = static_cast<int64_t>(rng() % 30) - 3;
    code_valid[i] = rng() % 10 != 0;
    const uint64_t s = rng();
    if (s % 12 == 0) {
      city[i] = "";
    } else if (s % 29 == 0) {
      city[i].assign(1 + (s >> 8) % 40, '\0');
      for (auto& ch : city[i]) ch = static_cast<char>(rng());  // invalid UTF-8, NULs
    } else if (s % 10007 == 3) {
      city[i].assign(20000 + (s >> 20) % 5000, 'L');
    } else {
      city[i] = "city-" + std::to_string((s >> 8) % 60);
    }
    city_valid[i] = (s >> 4) % 11 != 0;
    dev[i] = rng() % 3 == 0 ? "ios" : rng() % 2 ? "web" : "android";
    k32[i] = static_cast<int32_t>(rng());
  }
  Table t;
  t.columns.push_back(NumericColumn<double>("a", DType::kF64, a));
  t.columns.push_back(NumericColumn<double>("b", DType::kF64, b));
  t.columns.push_back(NumericColumn<float>("c", DType::kF32, c));
  t.columns.push_back(NumericColumn<int32_t>("d", DType::kI32, d, d_valid));
  t.columns.push_back(NumericColumn<int64_t>("e", DType::kI64, e));
  t.columns.push_back(NumericColumn<int64_t>("code", DType::kI64, code, code_valid));
  t.columns.push_back(StringColumn("city", city, city_valid));
  t.columns.push_back(StringColumn("dev", dev));
  t.columns.push_back(NumericColumn<int32_t>("k32", DType::kI32, k32));
  return t;
}

std::vector<FeatureSpec> Specs() {
  return ParseConfig(R"(
model: m
data: {landing: d, label: the_label}
features:
  - {column: a, type: numeric, ops: [{fill: median}, indicator, {clip: [-500, 800]}, standardize]}
  - {column: b, type: numeric, ops: [{fill: 0.5}, log1p, minmax, {bucketize: {quantiles: 7}}]}
  - {column: c, type: numeric, ops: [indicator, {clip: [null, 1]},
                                     {bucketize: {boundaries: [-1, 0, 0.5]}}]}
  - {column: d, type: numeric, ops: [{fill: -3}, log1p, standardize]}
  - {column: e, type: numeric, ops: [minmax]}
  - {column: c2, type: numeric, ops: [{fill: mean}]}
  - {column: code, type: categorical, ops: [{vocab: {min_count: 2, max_size: 20}}]}
  - {column: city, type: categorical, ops: [vocab]}
  - {column: dev, type: categorical, ops: [{hash: {buckets: 16, seed: 18446744073}}]}
  - {cross: [city, dev, code], ops: [{hash: {buckets: 512, seed: 2}}]}
  - {cross: [k32, dev], ops: [{hash: {buckets: 1000003}}]}
)",
                     "/tmp/cuda/cfg.yaml")
      .features;
}

// The table plus c2, a copy of c (so one column feeds two features).
Table WithC2(Table t) {
  Column c2 = *t.Find("c");
  c2.name = "c2";
  t.columns.push_back(std::move(c2));
  return t;
}

struct HostOutput {
  std::vector<float> dense;
  std::vector<int64_t> cats;
};

constexpr int64_t kPadRows = 3;  // rows past the end of the outputs that must stay untouched

HostOutput CpuTransform(const Table& t, const FeatureState& s) {
  HostOutput o;
  o.dense.assign((t.rows() + kPadRows) * s.dense_dim(), kDenseSentinel);
  o.cats.assign((t.rows() + kPadRows) * s.categorical_dim(), kCatSentinel);
  TransformFeatures(t, s, Device{}, o.dense.data(), o.cats.data(), nullptr);
  return o;
}

HostOutput CudaTransform(const Table& t, const FeatureState& s, const TransformOptions& options) {
  const size_t dn = (t.rows() + kPadRows) * s.dense_dim();
  const size_t cn = (t.rows() + kPadRows) * s.categorical_dim();
  DeviceVector<float> dense(std::vector<float>(dn, kDenseSentinel));
  DeviceVector<int64_t> cats(std::vector<int64_t>(cn, kCatSentinel));
  TransformFeatures(t, s, Device{DeviceKind::kCuda, 0}, dense.data(), cats.data(), nullptr,
                    options);
  SynchronizeStream(nullptr);
  return {dense.ToHost(), cats.ToHost()};
}

// The double value a bucketized numeric state computes for row i (what BucketIndex sees).
double BucketInput(const NumericState& s, const Column& col, int64_t i) {
  double x = col.is_valid(i) ? col.as_double(i) : kNan;
  if (std::isnan(x)) x = s.fill_value;
  x = std::clamp(x, s.clip_lo, s.clip_hi);
  if (s.applies(kernels::kLog1p)) x = x < 0 ? -std::log1p(-x) : std::log1p(x);
  if (s.applies(kernels::kSqrt)) x = x < 0 ? -std::sqrt(-x) : std::sqrt(x);
  return (x - s.shift) * s.scale;
}

// Compares a CUDA output with the CPU one, pad rows included; prints the largest dense difference.
void ExpectParity(const Table& t, const FeatureState& s, const HostOutput& cpu,
                  const HostOutput& gpu, const std::string& label) {
  SCOPED_TRACE(label);
  ASSERT_EQ(gpu.dense.size(), cpu.dense.size());
  ASSERT_EQ(gpu.cats.size(), cpu.cats.size());
  double max_diff = 0;
  int64_t bad = 0;
  for (size_t k = 0; k < cpu.dense.size(); ++k) {
    const float g = gpu.dense[k], w = cpu.dense[k];
    bool ok;
    if (!std::isfinite(g) || !std::isfinite(w)) {
      ok = g == w || (std::isnan(g) && std::isnan(w));
    } else {
      const double diff = std::fabs(double{g} - w);
      max_diff = std::max(max_diff, diff);
      ok = diff <= kDenseTol * std::max(1.0, std::fabs(double{w}));
    }
    if (!ok && bad++ < 10) {
      ADD_FAILURE() << "dense row " << k / s.dense_dim() << " column " << k % s.dense_dim()
                    << ": gpu " << g << " cpu " << w;
    }
  }
  EXPECT_EQ(bad, 0) << "dense mismatches";

  // Which categorical outputs are log1p buckets, and their states.
  std::vector<const NumericState*> log1p_bucket;
  for (const auto& n : s.numeric) {
    if (n.bucketize) log1p_bucket.push_back(n.pointwise ? &n : nullptr);
  }
  const int64_t c = s.categorical_dim();
  int64_t cat_bad = 0, flips = 0;
  for (size_t k = 0; k < cpu.cats.size(); ++k) {
    const int64_t g = gpu.cats[k], w = cpu.cats[k];
    if (g == w) continue;
    const int64_t row = static_cast<int64_t>(k) / c, col = static_cast<int64_t>(k) % c;
    bool allowed = false;
    if (row < t.rows() && col < static_cast<int64_t>(log1p_bucket.size()) && log1p_bucket[col] &&
        std::llabs(g - w) == 1) {
      const NumericState& n = *log1p_bucket[col];
      const double x = BucketInput(n, *t.Find(n.column), row);
      for (double b : n.boundaries) {
        allowed |= std::fabs(x - b) <= 1e-12 * std::max(1.0, std::fabs(b));
      }
    }
    flips += allowed;
    if (!allowed && cat_bad++ < 10) {
      ADD_FAILURE() << "categorical row " << row << " column " << col << " ("
                    << (col < c ? s.categorical_names()[col] : "?") << "): gpu " << g << " cpu "
                    << w;
    }
  }
  EXPECT_EQ(cat_bad, 0) << "categorical mismatches";
  std::printf("[%s] rows %lld: max |gpu - cpu| dense %.3g, boundary flips %lld\n", label.c_str(),
              static_cast<long long>(t.rows()), max_diff, static_cast<long long>(flips));
}

class FeaturesCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  }
};

TEST_F(FeaturesCuda, TransformMatchesCpuInOneChunkAndMany_CUDA) {
  const FeatureState state = FitFeatures(WithC2(RandomTable(20000, 1, false)), Specs());
  ASSERT_GT(state.numeric[1].boundaries.size(), 3u);
  struct Case {
    int64_t rows;
    int64_t chunk_rows;
  };
  const Case cases[] = {
      {1, TransformOptions{}.chunk_rows},        // one row, one chunk
      {7, 1},                                    // a chunk per row
      {255, 1000},                               // one chunk smaller than chunk_rows
      {1000, 1000},                              // exactly one chunk
      {5003, 1000},                              // six chunks, both pinned slots, a short last one
      {1000003, 65536},                          // sixteen chunks, last one partial
      {1000003, TransformOptions{}.chunk_rows},  // one big chunk
  };
  for (const Case& c : cases) {
    const Table t = WithC2(RandomTable(c.rows, 100 + c.rows, /*infinities=*/true));
    TransformOptions options;
    options.chunk_rows = c.chunk_rows;
    const HostOutput cpu = CpuTransform(t, state);
    const HostOutput gpu = CudaTransform(t, state, options);
    ExpectParity(t, state, cpu, gpu, "transform chunk_rows=" + std::to_string(c.chunk_rows));
  }
}

TEST_F(FeaturesCuda, FitOnCudaMatchesCpu_CUDA) {
  for (int64_t n : {int64_t{1}, int64_t{255}, int64_t{1000003}}) {
    SCOPED_TRACE("rows = " + std::to_string(n));
    const Table t = WithC2(RandomTable(n, 300 + n, false));
    const FeatureState cpu = FitFeatures(t, Specs());
    const FeatureState gpu = FitFeatures(t, Specs(), nullptr, Device{DeviceKind::kCuda, 0});
    ASSERT_EQ(gpu.numeric.size(), cpu.numeric.size());
    const auto near = [](double g, double c, double rel) {
      return g == c || std::fabs(g - c) <= rel * std::max(1.0, std::fabs(c));
    };
    for (size_t j = 0; j < cpu.numeric.size(); ++j) {
      const NumericState& g = gpu.numeric[j];
      const NumericState& c = cpu.numeric[j];
      SCOPED_TRACE(c.column);
      EXPECT_EQ(g.count, c.count);
      EXPECT_EQ(g.missing, c.missing);
      // Exact but for the element-wise ops, which may differ by an ulp on the device.
      EXPECT_TRUE(near(g.min, c.min, c.pointwise ? 1e-15 : 0.0)) << g.min << " " << c.min;
      EXPECT_TRUE(near(g.max, c.max, c.pointwise ? 1e-15 : 0.0)) << g.max << " " << c.max;
      EXPECT_TRUE(near(g.fill_value, c.fill_value, 1e-12)) << g.fill_value << " " << c.fill_value;
      EXPECT_TRUE(near(g.mean, c.mean, 1e-12)) << g.mean << " " << c.mean;
      EXPECT_TRUE(near(g.stddev, c.stddev, 1e-12)) << g.stddev << " " << c.stddev;
      EXPECT_TRUE(near(g.shift, c.shift, 1e-12)) << g.shift << " " << c.shift;
      EXPECT_TRUE(near(g.scale, c.scale, 1e-12)) << g.scale << " " << c.scale;
      ASSERT_EQ(g.boundaries.size(), c.boundaries.size());
      for (size_t k = 0; k < c.boundaries.size(); ++k) {
        EXPECT_TRUE(near(g.boundaries[k], c.boundaries[k], 1e-9))
            << k << ": " << g.boundaries[k] << " " << c.boundaries[k];
      }
    }
    ASSERT_EQ(gpu.categorical.size(), cpu.categorical.size());
    for (size_t k = 0; k < cpu.categorical.size(); ++k) {
      EXPECT_EQ(gpu.categorical[k].vocab, cpu.categorical[k].vocab);
      EXPECT_EQ(gpu.categorical[k].cardinality(), cpu.categorical[k].cardinality());
    }
    // Either state transforms the rows the same way (on the CPU), up to the dense tolerance.
    if (n <= 255) ExpectParity(t, cpu, CpuTransform(t, cpu), CpuTransform(t, gpu), "fit");
  }
}

TEST_F(FeaturesCuda, TransformToTableMatchesCpu_CUDA) {
  const Table train = WithC2(RandomTable(5000, 2, false));
  const FeatureState state = FitFeatures(train, Specs());
  const Table t = WithC2(RandomTable(70001, 3, true));
  TransformOptions options;
  options.chunk_rows = 1000;
  const Table cpu = TransformToTable(t, state, Device{});
  const Table gpu = TransformToTable(t, state, Device{DeviceKind::kCuda, 0}, options);
  ASSERT_EQ(gpu.columns.size(), cpu.columns.size());
  ASSERT_EQ(gpu.rows(), t.rows());
  HostOutput a, b;
  for (size_t j = 0; j < cpu.columns.size(); ++j) {
    const Column& x = cpu.columns[j];
    const Column& y = gpu.columns[j];
    ASSERT_EQ(y.name, x.name);
    ASSERT_EQ(y.dtype, x.dtype);
    ASSERT_EQ(y.rows, x.rows);
  }
  // Back to row-major, to compare with one rule.
  const int64_t d = state.dense_dim(), c = state.categorical_dim(), n = t.rows();
  a.dense.assign((n + kPadRows) * d, kDenseSentinel);
  b.dense = a.dense;
  a.cats.assign((n + kPadRows) * c, kCatSentinel);
  b.cats = a.cats;
  for (int64_t j = 0; j < d; ++j) {
    for (int64_t i = 0; i < n; ++i) {
      a.dense[i * d + j] = cpu.columns[j].values<float>()[i];
      b.dense[i * d + j] = gpu.columns[j].values<float>()[i];
    }
  }
  for (int64_t k = 0; k < c; ++k) {
    for (int64_t i = 0; i < n; ++i) {
      a.cats[i * c + k] = cpu.columns[d + k].values<int64_t>()[i];
      b.cats[i * c + k] = gpu.columns[d + k].values<int64_t>()[i];
    }
  }
  ExpectParity(t, state, a, b, "TransformToTable");
}

TEST_F(FeaturesCuda, OutputsAreOrderedOnTheCallersStream_CUDA) {
  const FeatureState state = FitFeatures(WithC2(RandomTable(3000, 4, false)), Specs());
  const Table t = WithC2(RandomTable(40000, 5, true));
  const HostOutput cpu = CpuTransform(t, state);
  CudaStream stream;
  const size_t dn = cpu.dense.size(), cn = cpu.cats.size();
  DeviceBuffer dense(dn * sizeof(float), stream.get());
  DeviceBuffer cats(cn * sizeof(int64_t), stream.get());
  // Sentinels in place before the transform, on the same stream.
  const std::vector<float> dense_init(dn, kDenseSentinel);
  const std::vector<int64_t> cats_init(cn, kCatSentinel);
  CopyToDevice(dense.data(), dense_init.data(), dn * sizeof(float), stream.get());
  CopyToDevice(cats.data(), cats_init.data(), cn * sizeof(int64_t), stream.get());
  TransformOptions options;
  options.chunk_rows = 4096;
  TransformFeatures(t, state, Device{DeviceKind::kCuda, 0}, dense.as<float>(), cats.as<int64_t>(),
                    stream.get(), options);
  HostOutput gpu;
  gpu.dense.resize(dn);
  gpu.cats.resize(cn);
  CopyToHost(gpu.dense.data(), dense.data(), dn * sizeof(float), stream.get());
  CopyToHost(gpu.cats.data(), cats.data(), cn * sizeof(int64_t), stream.get());
  SynchronizeStream(stream.get());
  ExpectParity(t, state, cpu, gpu, "caller's stream");
}

TEST_F(FeaturesCuda, EmptyTableAndErrors_CUDA) {
  const FeatureState state = FitFeatures(WithC2(RandomTable(100, 6, false)), Specs());
  const Table empty = WithC2(RandomTable(0, 7, false));
  DeviceVector<float> dense(std::vector<float>{kDenseSentinel});
  DeviceVector<int64_t> cats(std::vector<int64_t>{kCatSentinel});
  TransformFeatures(empty, state, Device{DeviceKind::kCuda, 0}, dense.data(), cats.data(), nullptr);
  SynchronizeStream(nullptr);
  EXPECT_EQ(dense.ToHost()[0], kDenseSentinel);
  EXPECT_EQ(cats.ToHost()[0], kCatSentinel);
  const Table out = TransformToTable(empty, state, Device{DeviceKind::kCuda, 0});
  EXPECT_EQ(out.rows(), 0);
  EXPECT_EQ(static_cast<int64_t>(out.columns.size()), state.dense_dim() + state.categorical_dim());
  // A missing column is a DataError, not a CUDA failure.
  Table missing = WithC2(RandomTable(10, 8, false));
  missing.columns.erase(missing.columns.begin() + 6);  // city
  try {
    TransformToTable(missing, state, Device{DeviceKind::kCuda, 0});
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("\"city\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace freshet
