// The fused numeric transform kernel: its element functions against hand values, the threaded CPU
// loop against a serial loop, and the CUDA kernel against the CPU loop on the same seeded input.
#include "kernels/numeric_transform.h"

#include <stdlib.h>

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

#include "common/scoped_threads.h"
#include "freshet/error.hpp"
#include "kernels/device_vector.h"

namespace freshet::kernels {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kDenseSentinel = -12345.f;
constexpr int64_t kCatSentinel = -7;

using testing::ScopedThreads;

NumericColumnView View(int32_t type, const void* values, const uint8_t* valid = nullptr) {
  NumericColumnView v;
  v.type = type;
  v.values = values;
  v.valid = valid;
  return v;
}

TEST(NumericTransformElement, LoadNumericReadsEveryTypeAndMissing) {
  const std::vector<float> f32 = {1.5f, std::nanf(""), -std::numeric_limits<float>::infinity(),
                                  std::numeric_limits<float>::denorm_min()};
  const std::vector<double> f64 = {-2.25, kNan, 1e300, -0.0};
  const std::vector<int32_t> i32 = {INT32_MIN, 0, 7, INT32_MAX};
  const std::vector<int64_t> i64 = {int64_t{1} << 53, -3, INT64_MIN, (int64_t{1} << 53) + 1};
  const std::vector<uint8_t> valid = {1, 1, 0, 1};
  bool missing = true;
  EXPECT_EQ(LoadNumeric(View(kInF32, f32.data()), 0, &missing), 1.5);
  EXPECT_FALSE(missing);
  LoadNumeric(View(kInF32, f32.data()), 1, &missing);
  EXPECT_TRUE(missing);  // NaN
  EXPECT_EQ(LoadNumeric(View(kInF32, f32.data()), 2, &missing), -kInf);
  EXPECT_FALSE(missing);  // infinities are values
  EXPECT_EQ(LoadNumeric(View(kInF32, f32.data()), 3, &missing),
            static_cast<double>(std::numeric_limits<float>::denorm_min()));
  EXPECT_FALSE(missing);
  EXPECT_EQ(LoadNumeric(View(kInF64, f64.data()), 0, &missing), -2.25);
  LoadNumeric(View(kInF64, f64.data()), 1, &missing);
  EXPECT_TRUE(missing);
  EXPECT_EQ(LoadNumeric(View(kInF64, f64.data()), 2, &missing), 1e300);
  EXPECT_FALSE(missing);
  LoadNumeric(View(kInF64, f64.data(), valid.data()), 2, &missing);
  EXPECT_TRUE(missing);  // masked
  EXPECT_EQ(LoadNumeric(View(kInI32, i32.data()), 0, &missing), -2147483648.0);
  EXPECT_FALSE(missing);
  EXPECT_EQ(LoadNumeric(View(kInI32, i32.data(), valid.data()), 3, &missing), 2147483647.0);
  EXPECT_FALSE(missing);
  LoadNumeric(View(kInI32, i32.data(), valid.data()), 2, &missing);
  EXPECT_TRUE(missing);
  EXPECT_EQ(LoadNumeric(View(kInI64, i64.data()), 0, &missing), 9007199254740992.0);
  EXPECT_EQ(LoadNumeric(View(kInI64, i64.data()), 1, &missing), -3.0);
  EXPECT_EQ(LoadNumeric(View(kInI64, i64.data()), 2, &missing), -9223372036854775808.0);
  EXPECT_FALSE(missing);
}

TEST(NumericTransformElement, FillClipLog1pThenShiftAndScale) {
  NumericColumnView c;
  c.fill = 50.0;
  c.clip_lo = -9.0;
  c.clip_hi = 20.0;
  c.shift = 1.0;
  c.scale = 0.5;
  EXPECT_EQ(TransformNumeric(c, 3.0, false), 1.0);      // (3 - 1) / 2
  EXPECT_EQ(TransformNumeric(c, 123.0, true), 9.5);     // missing → 50 → clipped to 20
  EXPECT_EQ(TransformNumeric(c, -100.0, false), -5.0);  // clipped to -9
  EXPECT_EQ(TransformNumeric(c, kInf, false), 9.5);
  EXPECT_EQ(TransformNumeric(c, -kInf, false), -5.0);
  c.pointwise = PointwiseBit(kLog1p);
  EXPECT_DOUBLE_EQ(TransformNumeric(c, 3.0, false), (std::log1p(3.0) - 1) * 0.5);
  EXPECT_DOUBLE_EQ(TransformNumeric(c, -3.0, false), (-std::log1p(3.0) - 1) * 0.5);
  EXPECT_DOUBLE_EQ(TransformNumeric(c, 0.0, false), -0.5);
  EXPECT_DOUBLE_EQ(TransformNumeric(c, kNan, true), (std::log1p(20.0) - 1) * 0.5);
  // No bounds: infinities pass through log1p and scaling.
  NumericColumnView open;
  open.pointwise = PointwiseBit(kLog1p);
  open.shift = -2.0;
  open.scale = 3.0;
  EXPECT_EQ(TransformNumeric(open, kInf, false), kInf);
  EXPECT_EQ(TransformNumeric(open, -kInf, false), -kInf);
  EXPECT_DOUBLE_EQ(TransformNumeric(open, 1e300, false), (std::log1p(1e300) + 2) * 3);
  EXPECT_EQ(TransformNumeric(open, 5e-324, false), (5e-324 + 2) * 3);
}

TEST(NumericTransformElement, BucketIndexIsDigitizeRightFalsePlusTwo) {
  const std::vector<double> b = {-1, 0, 2.5};
  const auto idx = [&](double x) { return BucketIndex(b.data(), 3, x); };
  EXPECT_EQ(idx(-2), 2);
  EXPECT_EQ(idx(-1), 3);  // on a boundary: goes up
  EXPECT_EQ(idx(-0.5), 3);
  EXPECT_EQ(idx(0), 4);
  EXPECT_EQ(idx(-0.0), 4);
  EXPECT_EQ(idx(2.4999999), 4);
  EXPECT_EQ(idx(2.5), 5);
  EXPECT_EQ(idx(1e308), 5);
  EXPECT_EQ(idx(kInf), 5);
  EXPECT_EQ(idx(-kInf), 2);
  EXPECT_EQ(BucketIndex(b.data(), 0, 123.0), 2);  // no boundaries
  const double one = 7.0;
  EXPECT_EQ(BucketIndex(&one, 1, 6.999), 2);
  EXPECT_EQ(BucketIndex(&one, 1, 7.0), 3);

  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal(0, 3);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> bounds(1 + rng() % 40);
    for (auto& x : bounds) x = std::round(normal(rng) * 4) / 4;  // repeats values on purpose
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    for (int k = 0; k < 50; ++k) {
      const double x = k % 5 == 0 ? bounds[rng() % bounds.size()] : normal(rng);
      const int64_t want = 2 + (std::upper_bound(bounds.begin(), bounds.end(), x) - bounds.begin());
      ASSERT_EQ(BucketIndex(bounds.data(), static_cast<int32_t>(bounds.size()), x), want) << x;
    }
  }
}

TEST(NumericTransformElement, NumericRowWritesItsOutputsOnly) {
  const std::vector<double> a = {2.0, kNan};
  const std::vector<int32_t> b = {-4, 9};
  const std::vector<uint8_t> b_valid = {1, 0};
  const std::vector<double> bounds = {100, -1, 0, 1};  // b's start at index 1
  std::vector<NumericColumnView> cols(2);
  cols[0] = View(kInF64, a.data());
  cols[0].fill = 10;
  cols[0].shift = 2;
  cols[0].scale = 0.25;
  cols[0].dense_out = 3;
  cols[0].indicator_out = 0;
  cols[1] = View(kInI32, b.data(), b_valid.data());
  cols[1].fill = 0.5;
  cols[1].bounds_begin = 1;
  cols[1].bounds_count = 3;
  cols[1].cat_out = 2;
  cols[1].indicator_out = 1;
  const int64_t d = 5, c = 3;
  std::vector<float> dense(2 * d, kDenseSentinel);
  std::vector<int64_t> cats(2 * c, kCatSentinel);
  for (int64_t i = 0; i < 2; ++i) {
    NumericRow(cols.data(), 2, bounds.data(), i, dense.data(), d, cats.data(), c);
  }
  const float s = kDenseSentinel;
  EXPECT_EQ(dense, (std::vector<float>{0, 0, s, 0, s,  //
                                       1, 1, s, 2, s}));
  EXPECT_EQ(cats, (std::vector<int64_t>{kCatSentinel, kCatSentinel, 2,  //
                                        kCatSentinel, kCatSentinel, 4}));
}

// A random input of five columns (f64, f32, i32, i64 and the f64 again) with NaN, masks, ±Inf,
// values near the float limits and denormals, and a transform for each: dense outputs 0..4 with one
// dense column (5) never written, categorical outputs 0..1 with one (2) never written.
struct NumericCase {
  int64_t rows = 0;
  std::vector<double> f64;
  std::vector<float> f32;
  std::vector<int32_t> i32;
  std::vector<int64_t> i64;
  std::vector<uint8_t> f64_valid, i32_valid;
  std::vector<double> bounds = {-1, -0.5, 0, 0.25, 10, 0, 10, 20, 30, 35};
  static constexpr int64_t kDense = 6, kCats = 3;

  explicit NumericCase(int64_t n, uint64_t seed) : rows(n) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    f64.resize(n);
    f32.resize(n);
    i32.resize(n);
    i64.resize(n);
    f64_valid.resize(n);
    i32_valid.resize(n);
    const float fmax = std::numeric_limits<float>::max();
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t r = rng() % 1000;
      f64[i] = r < 60 ? kNan : r == 60 ? kInf : r == 61 ? -kInf : normal(rng) * 1e4 + 3e3;
      const uint64_t q = rng() % 1000;
      f32[i] = q < 80    ? std::nanf("")
               : q == 80 ? fmax
               : q == 81 ? -fmax
               : q == 82 ? std::numeric_limits<float>::denorm_min()
               : q == 83 ? -1e-40f
                         : static_cast<float>(normal(rng) * (q % 2 ? 1e3 : 1.0));
      i32[i] = static_cast<int32_t>(rng() % 4000) - 2000;
      i64[i] = static_cast<int64_t>(rng() % (int64_t{1} << 50)) - (int64_t{1} << 49);
      f64_valid[i] = rng() % 11 != 0;
      i32_valid[i] = rng() % 7 != 0;
    }
  }

  // The views, given where each array lives (host or device).
  std::vector<NumericColumnView> Views(const double* f64p, const float* f32p, const int32_t* i32p,
                                       const int64_t* i64p, const uint8_t* f64v,
                                       const uint8_t* i32v) const {
    std::vector<NumericColumnView> v(5);
    v[0] = View(kInF64, f64p, f64v);  // fill, standardize, indicator
    v[0].fill = 1234.5;
    v[0].shift = 3000.25;
    v[0].scale = 1.0 / 9999.0;
    v[0].dense_out = 0;
    v[0].indicator_out = 1;
    v[1] = View(kInF32, f32p);  // clip, log1p
    v[1].fill = -1.0;
    v[1].clip_lo = -1e3;
    v[1].clip_hi = 1e38;
    v[1].pointwise = PointwiseBit(kLog1p);
    v[1].dense_out = 2;
    v[2] = View(kInI32, i32p, i32v);  // minmax-like, bucketize, indicator
    v[2].fill = 7;
    v[2].shift = 500;
    v[2].scale = 0.01;
    v[2].bounds_begin = 0;
    v[2].bounds_count = 5;
    v[2].cat_out = 0;
    v[2].indicator_out = 3;
    v[3] = View(kInI64, i64p);  // log1p then bucketize
    v[3].pointwise = PointwiseBit(kLog1p);
    v[3].bounds_begin = 5;
    v[3].bounds_count = 5;
    v[3].cat_out = 1;
    v[4] = View(kInF64, f64p, f64v);  // the same column again: one-sided clip, scale
    v[4].fill = -5;
    v[4].clip_lo = 0;
    v[4].shift = 10;
    v[4].scale = 3.5;
    v[4].dense_out = 4;
    return v;
  }
  std::vector<NumericColumnView> HostViews() const {
    return Views(f64.data(), f32.data(), i32.data(), i64.data(), f64_valid.data(),
                 i32_valid.data());
  }
};

// The serial reference: NumericRow over every row, one after the other.
void SerialRows(const NumericCase& c, std::vector<float>* dense, std::vector<int64_t>* cats) {
  const auto views = c.HostViews();
  dense->assign(c.rows * NumericCase::kDense, kDenseSentinel);
  cats->assign(c.rows * NumericCase::kCats, kCatSentinel);
  for (int64_t i = 0; i < c.rows; ++i) {
    NumericRow(views.data(), 5, c.bounds.data(), i, dense->data(), NumericCase::kDense,
               cats->data(), NumericCase::kCats);
  }
}

TEST(NumericTransformCpu, ThreadedLoopEqualsSerialLoop) {
  const NumericCase c(100003, 7);
  std::vector<float> want_dense;
  std::vector<int64_t> want_cats;
  SerialRows(c, &want_dense, &want_cats);
  const auto views = c.HostViews();
  for (int threads : {1, 3, 8}) {
    ScopedThreads scoped(threads);
    std::vector<float> dense(want_dense.size(), kDenseSentinel);
    std::vector<int64_t> cats(want_cats.size(), kCatSentinel);
    cpu_impl::TransformNumericColumns(views.data(), 5, c.bounds.data(), c.rows, dense.data(),
                                      NumericCase::kDense, cats.data(), NumericCase::kCats);
    SCOPED_TRACE("threads = " + std::to_string(threads));
    ASSERT_EQ(std::memcmp(dense.data(), want_dense.data(), dense.size() * sizeof(float)), 0);
    ASSERT_EQ(cats, want_cats);
    // Through the dispatcher too.
    std::vector<float> dense2(want_dense.size(), kDenseSentinel);
    std::vector<int64_t> cats2(want_cats.size(), kCatSentinel);
    TransformNumericColumns(Device{}, views.data(), 5, c.bounds.data(),
                            static_cast<int32_t>(c.bounds.size()), c.rows, dense2.data(),
                            NumericCase::kDense, cats2.data(), NumericCase::kCats, nullptr);
    ASSERT_EQ(std::memcmp(dense2.data(), want_dense.data(), dense.size() * sizeof(float)), 0);
    ASSERT_EQ(cats2, want_cats);
  }
  // Spot checks of the reference itself against the element functions, and the gaps.
  for (int64_t i = 0; i < c.rows; i += 997) {
    bool m = false;
    const double x = LoadNumeric(views[0], i, &m);
    EXPECT_EQ(want_dense[i * 6 + 0], static_cast<float>(TransformNumeric(views[0], x, m)));
    EXPECT_EQ(want_dense[i * 6 + 1], m ? 1.f : 0.f);
    EXPECT_EQ(want_dense[i * 6 + 5], kDenseSentinel);
    EXPECT_EQ(want_cats[i * 3 + 2], kCatSentinel);
    EXPECT_GE(want_cats[i * 3 + 0], 2);
    EXPECT_LE(want_cats[i * 3 + 0], 7);
  }
}

// The CPU loop specialises its inner loop by input type, mask, element-wise ops and bucket count:
// every path the NumericCase does not take (sqrt, log1p then sqrt, masked floats, unmasked ints,
// more boundaries than the linear count handles, a bucketised column with an indicator) gives
// NumericRow's outputs bit for bit, on a row count that is not a multiple of any block.
TEST(NumericTransformCpu, EveryLoopSpecialisationEqualsNumericRow) {
  const int64_t n = 5003;
  std::mt19937_64 rng(21);
  std::normal_distribution<double> normal(0.0, 50.0);
  std::vector<float> f32(n);
  std::vector<double> f64(n);
  std::vector<int32_t> i32(n);
  std::vector<uint8_t> valid(n);
  for (int64_t i = 0; i < n; ++i) {
    f32[i] = rng() % 10 == 0 ? std::nanf("") : static_cast<float>(normal(rng));
    f64[i] = rng() % 10 == 0 ? kNan : normal(rng);
    i32[i] = static_cast<int32_t>(rng() % 1000) - 500;
    valid[i] = rng() % 6 != 0;
  }
  std::vector<double> bounds;
  for (int k = 0; k < 100; ++k) bounds.push_back(-500 + 10.0 * k);  // 100 boundaries
  bounds.insert(bounds.end(), {-10, 0, 10});                        // 3 more, from 100
  std::vector<NumericColumnView> v(6);
  v[0] = View(kInF32, f32.data(), valid.data());  // masked floats, sqrt
  v[0].pointwise = PointwiseBit(kSqrt);
  v[0].fill = 4;
  v[0].scale = 0.5;
  v[0].dense_out = 0;
  v[1] = View(kInF64, f64.data());  // log1p then sqrt, clipped
  v[1].pointwise = PointwiseBit(kLog1p) | PointwiseBit(kSqrt);
  v[1].clip_lo = -20;
  v[1].clip_hi = 80;
  v[1].dense_out = 1;
  v[1].indicator_out = 2;
  v[2] = View(kInI32, i32.data());  // unmasked ints, 100 boundaries
  v[2].bounds_count = 100;
  v[2].cat_out = 0;
  v[3] = View(kInF32, f32.data());  // floats, 3 boundaries, indicator
  v[3].fill = 0.5;
  v[3].bounds_begin = 100;
  v[3].bounds_count = 3;
  v[3].cat_out = 1;
  v[3].indicator_out = 3;
  v[4] = View(kInI32, i32.data(), valid.data());  // masked ints, log1p, 0 boundaries
  v[4].pointwise = PointwiseBit(kLog1p);
  v[4].fill = -3;
  v[4].cat_out = 2;
  v[5] = View(kInF64, f64.data(), valid.data());  // masked doubles, no ops
  v[5].fill = 1e300;
  v[5].shift = -1;
  v[5].scale = 1e10;  // overflows to inf
  v[5].dense_out = 4;
  const int64_t d = 6, c = 4;
  std::vector<float> want_dense(n * d, kDenseSentinel);
  std::vector<int64_t> want_cats(n * c, kCatSentinel);
  for (int64_t i = 0; i < n; ++i) {
    NumericRow(v.data(), 6, bounds.data(), i, want_dense.data(), d, want_cats.data(), c);
  }
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    std::vector<float> dense(n * d, kDenseSentinel);
    std::vector<int64_t> cats(n * c, kCatSentinel);
    cpu_impl::TransformNumericColumns(v.data(), 6, bounds.data(), n, dense.data(), d, cats.data(),
                                      c);
    ASSERT_EQ(std::memcmp(dense.data(), want_dense.data(), dense.size() * sizeof(float)), 0);
    ASSERT_EQ(cats, want_cats);
  }
}

TEST(NumericTransformCpu, NothingToDoAndBadSizes) {
  const NumericCase c(10, 8);
  const auto views = c.HostViews();
  float dense = kDenseSentinel;
  int64_t cats = kCatSentinel;
  TransformNumericColumns(Device{}, views.data(), 5, c.bounds.data(), 10, 0, &dense, 6, &cats, 3,
                          nullptr);
  TransformNumericColumns(Device{}, views.data(), 0, c.bounds.data(), 10, 10, &dense, 6, &cats, 3,
                          nullptr);
  EXPECT_EQ(dense, kDenseSentinel);
  EXPECT_EQ(cats, kCatSentinel);
  try {
    TransformNumericColumns(Device{}, views.data(), 5, c.bounds.data(), 10, -1, &dense, 6, &cats, 3,
                            nullptr);
    FAIL() << "negative rows accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  }
}

// ---------------------------------------------------------------------------------------------
// CUDA against the CPU

// Dense outputs: the math is double on both sides, rounded to float at the end; log1p on the device
// may differ from the host's by an ulp in double, which can move the float by one rounding step, so
// |gpu - cpu| <= 1e-6 * max(1, |cpu|); infinities equal. Bucket indices are exact, except that a
// log1p value within 1e-12 (relative) of a boundary may land on either side of it.
constexpr double kDenseTol = 1e-6;

class NumericTransformCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  }
};

TEST_F(NumericTransformCuda, MatchesCpu_CUDA) {
  const Device gpu{DeviceKind::kCuda, 0};
  constexpr int64_t kPad = 3;  // rows past the end that must stay untouched
  for (int64_t n : {int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257}, int64_t{1000003}}) {
    SCOPED_TRACE("rows = " + std::to_string(n));
    const NumericCase c(n, 1000 + n);
    std::vector<float> want_dense;
    std::vector<int64_t> want_cats;
    {
      ScopedThreads threads(4);
      const auto views = c.HostViews();
      want_dense.assign((n + kPad) * NumericCase::kDense, kDenseSentinel);
      want_cats.assign((n + kPad) * NumericCase::kCats, kCatSentinel);
      cpu_impl::TransformNumericColumns(views.data(), 5, c.bounds.data(), n, want_dense.data(),
                                        NumericCase::kDense, want_cats.data(), NumericCase::kCats);
    }
    test_util::DeviceVector<double> f64(c.f64);
    test_util::DeviceVector<float> f32(c.f32);
    test_util::DeviceVector<int32_t> i32(c.i32);
    test_util::DeviceVector<int64_t> i64(c.i64);
    test_util::DeviceVector<uint8_t> f64v(c.f64_valid), i32v(c.i32_valid);
    test_util::DeviceVector<float> dense(
        std::vector<float>((n + kPad) * NumericCase::kDense, kDenseSentinel));
    test_util::DeviceVector<int64_t> cats(
        std::vector<int64_t>((n + kPad) * NumericCase::kCats, kCatSentinel));
    const auto dviews =
        c.Views(f64.data(), f32.data(), i32.data(), i64.data(), f64v.data(), i32v.data());
    TransformNumericColumns(gpu, dviews.data(), 5, c.bounds.data(),
                            static_cast<int32_t>(c.bounds.size()), n, dense.data(),
                            NumericCase::kDense, cats.data(), NumericCase::kCats, nullptr);
    SynchronizeStream(nullptr);
    const std::vector<float> got_dense = dense.ToHost();
    const std::vector<int64_t> got_cats = cats.ToHost();

    double max_diff = 0;
    int64_t bad = 0;
    for (size_t k = 0; k < got_dense.size(); ++k) {
      const float g = got_dense[k], w = want_dense[k];
      const bool ok =
          std::isinf(w) || std::isinf(g) || std::isnan(w) || std::isnan(g)
              ? (g == w || (std::isnan(g) && std::isnan(w)))
              : std::fabs(double{g} - w) <= kDenseTol * std::max(1.0, std::fabs(double{w}));
      if (!ok && bad++ < 10) ADD_FAILURE() << "dense[" << k << "]: gpu " << g << " cpu " << w;
      if (std::isfinite(g) && std::isfinite(w))
        max_diff = std::max(max_diff, std::fabs(double{g} - w));
    }
    EXPECT_EQ(bad, 0);
    const auto hviews = c.HostViews();
    int64_t cat_bad = 0, near_boundary = 0;
    for (int64_t i = 0; i < n + kPad; ++i) {
      for (int64_t k = 0; k < NumericCase::kCats; ++k) {
        const int64_t g = got_cats[i * 3 + k], w = want_cats[i * 3 + k];
        if (g == w) continue;
        // Allowed only for the log1p column, next to a boundary.
        bool allowed = false;
        if (k == 1 && i < n) {
          bool m = false;
          const double raw = LoadNumeric(hviews[3], i, &m);
          const double x = TransformNumeric(hviews[3], raw, m);
          for (int b = 5; b < 10; ++b) {
            allowed |= std::fabs(x - c.bounds[b]) <= 1e-12 * std::max(1.0, std::fabs(x));
          }
          allowed &= std::llabs(g - w) == 1;
        }
        near_boundary += allowed;
        if (!allowed && cat_bad++ < 10) {
          ADD_FAILURE() << "cats[" << i << ", " << k << "]: gpu " << g << " cpu " << w;
        }
      }
    }
    EXPECT_EQ(cat_bad, 0);
    EXPECT_LE(near_boundary, 2);
    RecordProperty("max_abs_diff_rows_" + std::to_string(n), std::to_string(max_diff));
    std::printf(
        "[numeric_transform rows=%lld] max |gpu - cpu| dense = %.3g, bucket flips at a "
        "boundary = %lld\n",
        static_cast<long long>(n), max_diff, static_cast<long long>(near_boundary));
  }
}

TEST_F(NumericTransformCuda, ZeroRowsLaunchNothing_CUDA) {
  test_util::DeviceVector<float> dense(std::vector<float>{kDenseSentinel});
  test_util::DeviceVector<int64_t> cats(std::vector<int64_t>{kCatSentinel});
  const NumericCase c(1, 9);
  const auto views = c.HostViews();  // never dereferenced: no rows
  TransformNumericColumns(Device{DeviceKind::kCuda, 0}, views.data(), 5, c.bounds.data(), 10, 0,
                          dense.data(), 6, cats.data(), 3, nullptr);
  SynchronizeStream(nullptr);
  EXPECT_EQ(dense.ToHost()[0], kDenseSentinel);
  EXPECT_EQ(cats.ToHost()[0], kCatSentinel);
}

}  // namespace
}  // namespace freshet::kernels
