// The element-wise numeric ops (kernels/numeric_ops.h): each op's math against the standard
// library, its name and format, the order a set applies in, and the transform and the fit pass
// applying them alike on the CPU and on a CUDA device.
#include "kernels/numeric_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernels/column_moments.h"
#include "kernels/device_vector.h"
#include "kernels/numeric_transform.h"

namespace freshet::kernels {
namespace {

constexpr double kInf = INFINITY;

// The values every op is checked at: signs, zeros, the tiny and the huge, the infinities.
const std::vector<double> kPoints = {-kInf,  -1e300, -3.0, -0.5, -1e-300, -0.0,  0.0,
                                     1e-300, 0.5,    1.0,  3.0,  1e30,    1e300, kInf};

// What each op means, written independently of the kernels.
double Reference(int32_t op, double x) {
  switch (op) {
    case kLog1p:
      return std::copysign(std::log1p(std::fabs(x)), x);
    case kSqrt:
      return std::copysign(std::sqrt(std::fabs(x)), x);
    default:
      ADD_FAILURE() << "op " << op << " has no reference in this test";
      return x;
  }
}

// Whether a and b are equal or next to each other as doubles (1 ulp).
bool WithinAnUlp(double a, double b) {
  if (a == b || (std::isnan(a) && std::isnan(b))) return true;
  return std::nextafter(a, b) == b;
}

// log1p is freshet's own (musl's method, written to vectorise): within an ulp of the standard
// library's; sqrt is the library's, correctly rounded.
TEST(NumericOps, EachOpMatchesItsDefinitionEverywhere) {
  for (int32_t op = 0; op < kPointwiseCount; ++op) {
    SCOPED_TRACE(kPointwiseOps[op].name);
    for (double x : kPoints) {
      const double got = ApplyPointwise(op, x);
      EXPECT_TRUE(WithinAnUlp(got, Reference(op, x))) << "x = " << x << ": " << got;
      EXPECT_FALSE(std::isnan(got)) << "x = " << x;  // defined for every value
      EXPECT_EQ(std::signbit(got), std::signbit(x)) << "x = " << x;
    }
  }
  EXPECT_DOUBLE_EQ(ApplyPointwise(kSqrt, 16.0), 4.0);
  EXPECT_DOUBLE_EQ(ApplyPointwise(kSqrt, -16.0), -4.0);
  EXPECT_DOUBLE_EQ(ApplyPointwise(kLog1p, std::expm1(2.0)), 2.0);
}

// Log1pNonNegative against the standard library's log1p over 2 million values: log-uniform from
// 1e-310 to 1e308, uniform in [0, 1], and the neighbourhood of the branch points (sqrt(2) - 1,
// where 1 + a reaches 2 and 4, 2^53, 2^54): never more than an ulp apart, and exact where log1p is
// (0, tiny values, +inf, NaN).
TEST(NumericOps, Log1pIsWithinAnUlpOfTheLibrary) {
  std::mt19937_64 rng(14);
  std::uniform_real_distribution<double> exponent(-310.0, 308.0), unit(0.0, 1.0);
  std::vector<double> xs;
  for (int i = 0; i < 1000000; ++i) xs.push_back(std::pow(10.0, exponent(rng)));
  for (int i = 0; i < 1000000; ++i) xs.push_back(unit(rng));
  for (double b : {std::sqrt(2.0) - 1, 1.0, 3.0, 0x1p53, 0x1p54}) {
    double x = b;
    for (int i = 0; i < 1000; ++i) x = std::nextafter(x, 0.0);
    for (int i = 0; i < 2000; ++i, x = std::nextafter(x, kInf)) xs.push_back(x);
  }
  int64_t off = 0;
  for (double x : xs) {
    const double got = Log1pNonNegative(x), want = std::log1p(x);
    ASSERT_TRUE(WithinAnUlp(got, want)) << "x = " << x << ": " << got << " against " << want;
    off += got != want;
  }
  EXPECT_LT(off, static_cast<int64_t>(xs.size()) / 20) << "ulps off";
  EXPECT_EQ(Log1pNonNegative(0.0), 0.0);
  EXPECT_FALSE(std::signbit(Log1pNonNegative(0.0)));
  EXPECT_EQ(Log1pNonNegative(1e-300), 1e-300);
  EXPECT_EQ(Log1pNonNegative(4.9e-324), 4.9e-324);
  EXPECT_EQ(Log1pNonNegative(kInf), kInf);
  EXPECT_TRUE(std::isnan(Log1pNonNegative(std::nan(""))));
  EXPECT_TRUE(std::signbit(SignedLog1p(-0.0)));
  EXPECT_EQ(SignedLog1p(-3.0), -Log1pNonNegative(3.0));
}

// SignedLog1p takes |x| and puts x's sign back with bit operations: the same bits as negating
// log1p(-x) for x < 0 and returning x itself at zero, and a NaN comes back with its sign and
// payload.
TEST(NumericOps, SignedLog1pIsTheSignedLog1pToTheBit) {
  std::mt19937_64 rng(15);
  std::uniform_real_distribution<double> exponent(-310.0, 308.0);
  std::vector<double> xs = kPoints;
  for (int i = 0; i < 200000; ++i) {
    const double x = std::pow(10.0, exponent(rng));
    xs.push_back(i % 2 ? -x : x);
  }
  for (double x : xs) {
    const double want = x < 0.0 ? -Log1pNonNegative(-x) : (x == 0.0 ? x : Log1pNonNegative(x));
    EXPECT_EQ(BitsOf(SignedLog1p(x)), BitsOf(want)) << "x = " << x;
  }
  for (uint64_t nan : {0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff4000000000123ull,
                       0xfffc0000000abcdeull}) {
    EXPECT_EQ(BitsOf(SignedLog1p(DoubleOf(nan))), nan) << std::hex << nan;
  }
}

TEST(NumericOps, NamesAreUniqueAndFoundByName) {
  std::set<std::string> names;
  for (int32_t op = 0; op < kPointwiseCount; ++op) {
    const PointwiseInfo& info = kPointwiseOps[op];
    ASSERT_NE(info.name, nullptr);
    EXPECT_TRUE(names.insert(info.name).second) << info.name << " is listed twice";
    EXPECT_EQ(PointwiseByName(info.name), op);
    EXPECT_GE(info.since_format, 2) << info.name;  // features.json /2 is the first with ops
  }
  EXPECT_EQ(PointwiseByName("log2"), -1);
  EXPECT_EQ(PointwiseByName(""), -1);
  EXPECT_EQ(PointwiseByName("LOG1P"), -1);
}

TEST(NumericOps, ASetAppliesInTheListedOrder) {
  EXPECT_EQ(ApplyPointwiseSet(0, -7.25), -7.25);
  const double x = 8.0;
  EXPECT_EQ(ApplyPointwiseSet(PointwiseBit(kLog1p) | PointwiseBit(kSqrt), x),
            std::sqrt(SignedLog1p(x)));
  EXPECT_EQ(ApplyPointwiseSet(PointwiseBit(kSqrt), x), std::sqrt(x));
}

TEST(NumericOps, TheFormatIsTheNewestOpsFormat) {
  EXPECT_EQ(PointwiseFormat(0, 2), 2);
  EXPECT_EQ(PointwiseFormat(PointwiseBit(kLog1p), 2), 2);
  EXPECT_EQ(PointwiseFormat(PointwiseBit(kSqrt), 2), 3);
  EXPECT_EQ(PointwiseFormat(PointwiseBit(kLog1p) | PointwiseBit(kSqrt), 2), 3);
  int newest = 0;
  for (const auto& op : kPointwiseOps) newest = std::max(newest, op.since_format);
  EXPECT_EQ(kPointwiseNewestFormat, newest);
}

// The transform and the fit pass apply an op between clip and scaling.
TEST(NumericOps, TransformAndMomentsApplyEachOpAfterClip) {
  const std::vector<double> values = {-50.0, -4.0, 0.0, 2.25, 9.0, 400.0};
  for (int32_t op = 0; op < kPointwiseCount; ++op) {
    SCOPED_TRACE(kPointwiseOps[op].name);
    NumericColumnView v;
    v.type = kInF64;
    v.values = values.data();
    v.clip_lo = -10.0;
    v.clip_hi = 100.0;
    v.pointwise = PointwiseBit(op);
    v.shift = 1.0;
    v.scale = 0.5;
    v.dense_out = 0;
    std::vector<float> dense(values.size());
    TransformNumericColumns(Device{}, &v, 1, nullptr, 0, static_cast<int64_t>(values.size()),
                            dense.data(), 1, nullptr, 0, nullptr);
    ColumnMoments m;
    NumericColumnMoments(Device{}, &v, 1, static_cast<int64_t>(values.size()), &m, nullptr);
    double sum = 0.0;
    for (size_t i = 0; i < values.size(); ++i) {
      const double t = ApplyPointwise(op, std::fmin(std::fmax(values[i], -10.0), 100.0));
      EXPECT_EQ(dense[i], static_cast<float>((t - 1.0) * 0.5)) << values[i];
      sum += t;
    }
    EXPECT_NEAR(m.transformed.mean, sum / static_cast<double>(values.size()), 1e-12);
    EXPECT_EQ(m.transformed.min, ApplyPointwise(op, -10.0));
    EXPECT_EQ(m.transformed.max, ApplyPointwise(op, 100.0));
    EXPECT_EQ(m.raw.min, -50.0);
  }
}

// On a CUDA device each op gives the host's value within an ulp of double (the device's log1p may
// round differently; its sqrt is correctly rounded, like the host's).
TEST(NumericOps, CudaMatchesTheHost_CUDA) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  std::vector<double> finite;
  for (double x : kPoints) {
    if (std::isfinite(x)) finite.push_back(x);
  }
  for (int32_t op = 0; op < kPointwiseCount; ++op) {
    SCOPED_TRACE(kPointwiseOps[op].name);
    const test_util::DeviceVector<double> in(finite);
    NumericColumnView v;
    v.type = kInF64;
    v.values = in.data();
    v.pointwise = PointwiseBit(op);
    ColumnMoments host, gpu;
    NumericColumnView hv = v;
    hv.values = finite.data();
    NumericColumnMoments(Device{}, &hv, 1, static_cast<int64_t>(finite.size()), &host, nullptr);
    NumericColumnMoments(Device{DeviceKind::kCuda, 0}, &v, 1, static_cast<int64_t>(finite.size()),
                         &gpu, nullptr);
    EXPECT_NEAR(gpu.transformed.min, host.transformed.min, 1e-15 * std::fabs(host.transformed.min));
    EXPECT_NEAR(gpu.transformed.max, host.transformed.max, 1e-15 * std::fabs(host.transformed.max));
    EXPECT_EQ(gpu.transformed.n, host.transformed.n);
  }
}

}  // namespace
}  // namespace freshet::kernels
