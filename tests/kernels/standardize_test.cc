#include "kernels/standardize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "kernels/device_vector.h"

namespace freshet::kernels {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kSentinel = -12345.f;

// Random floats on a few scales, about 5% NaN and a sprinkling of +-Inf.
std::vector<float> RandomColumn(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(3.f, 20.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) {
    const uint64_t r = rng() % 1000;
    x = r < 50 ? kNaN : r == 50 ? kInf : r == 51 ? -kInf : normal(rng) * (r % 3 == 0 ? 1e3f : 1.f);
  }
  return v;
}

// True when a and b are equal within rel * max(1, |b|), or both NaN, or the same infinity.
bool Close(float a, float b, double rel) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(double{a} - double{b}) <= rel * std::max(1.0, std::fabs(double{b}));
}

TEST(StandardizeCpu, HandComputedValues) {
  const std::vector<float> in = {1.f, kNaN, 5.f, -3.f, kInf, -kInf, 0.5f};
  const StandardizeOp op{/*fill=*/2.f, /*mean=*/1.f, /*scale=*/0.5f};
  std::vector<float> out(in.size(), kSentinel);
  cpu_impl::Standardize(in.data(), static_cast<int64_t>(in.size()), op, out.data(), 1);
  // (x - 1) * 0.5, with NaN filled by 2 first.
  EXPECT_FLOAT_EQ(out[0], 0.f);
  EXPECT_FLOAT_EQ(out[1], 0.5f);
  EXPECT_FLOAT_EQ(out[2], 2.f);
  EXPECT_FLOAT_EQ(out[3], -2.f);
  EXPECT_EQ(out[4], kInf);
  EXPECT_EQ(out[5], -kInf);
  EXPECT_FLOAT_EQ(out[6], -0.25f);
}

TEST(StandardizeCpu, DefaultOpIsPlainFill) {
  const std::vector<float> in = {kNaN, 7.25f, -1.5f};
  std::vector<float> out(3, kSentinel);
  StandardizeOp op;
  op.fill = 4.f;
  cpu_impl::Standardize(in.data(), 3, op, out.data(), 1);
  EXPECT_EQ(out, (std::vector<float>{4.f, 7.25f, -1.5f}));
}

TEST(StandardizeCpu, EmptyAndSingleRow) {
  float out = kSentinel;
  cpu_impl::Standardize(nullptr, 0, StandardizeOp{1.f, 2.f, 3.f}, &out, 1);
  EXPECT_EQ(out, kSentinel);
  const float in = kNaN;
  cpu_impl::Standardize(&in, 1, StandardizeOp{1.f, 2.f, 3.f}, &out, 1);
  EXPECT_FLOAT_EQ(out, -3.f);
}

TEST(StandardizeCpu, StridedManyRowsMatchesScalarFormula) {
  const int64_t n = 500001;  // several ParallelFor ranges
  const std::vector<float> in = RandomColumn(n, 17);
  const StandardizeOp op{-4.f, 2.5f, 1.f / 19.f};
  const int64_t stride = 4;
  std::vector<float> out(n * stride, kSentinel);
  Standardize(Device{}, in.data(), n, op, out.data(), stride, nullptr);
  for (int64_t i = 0; i < n; ++i) {
    const float x = std::isnan(in[i]) ? op.fill : in[i];
    ASSERT_TRUE(Close(out[i * stride], (x - op.mean) * op.scale, 0)) << i;
    for (int64_t k = 1; k < stride; ++k) ASSERT_EQ(out[i * stride + k], kSentinel);
  }
}

TEST(StandardizeCpu, RejectsBadArguments) {
  float x = 1.f;
  EXPECT_THROW(cpu_impl::Standardize(&x, 1, StandardizeOp{}, &x, 0), Error);
  EXPECT_THROW(cpu_impl::Standardize(&x, -1, StandardizeOp{}, &x, 1), Error);
}

// GPU parity against the CPU loop. Tolerance: |gpu - cpu| <= 1e-6 * max(1, |cpu|); NaN must match
// NaN and infinities must match exactly. (The op is one subtract and one multiply with no FMA
// contraction possible, so in practice the results are bit-identical.)
constexpr double kRelTol = 1e-6;

class StandardizeCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  }
};

TEST_F(StandardizeCuda, MatchesCpu_CUDA) {
  const Device gpu{DeviceKind::kCuda, 0};
  for (int64_t n : {int64_t{1}, int64_t{255}, int64_t{1000003}}) {
    for (int64_t stride : {int64_t{1}, int64_t{3}}) {
      const std::vector<float> in = RandomColumn(n, 500 + n + stride);
      const StandardizeOp op{0.75f, -1.25f, 1.f / 7.f};
      std::vector<float> want(n * stride, kSentinel);
      cpu_impl::Standardize(in.data(), n, op, want.data(), stride);

      test_util::DeviceVector<float> d_in(in);
      test_util::DeviceVector<float> d_out(std::vector<float>(n * stride, kSentinel));
      Standardize(gpu, d_in.data(), n, op, d_out.data(), stride, nullptr);
      const std::vector<float> got = d_out.ToHost();
      double max_diff = 0;
      for (int64_t i = 0; i < n * stride; ++i) {
        ASSERT_TRUE(Close(got[i], want[i], kRelTol)) << "n " << n << " stride " << stride << " i "
                                                     << i << ": " << got[i] << " vs " << want[i];
        if (std::isfinite(got[i]))
          max_diff = std::max(max_diff, std::fabs(double{got[i]} - want[i]));
      }
      RecordProperty("max_abs_diff_n" + std::to_string(n), std::to_string(max_diff));
    }
  }
}

TEST_F(StandardizeCuda, EmptyInputLaunchesNothing_CUDA) {
  test_util::DeviceVector<float> d_out(std::vector<float>{kSentinel});
  cuda_impl::Standardize(nullptr, 0, StandardizeOp{}, d_out.data(), 1, nullptr);
  EXPECT_EQ(d_out.ToHost()[0], kSentinel);
}

}  // namespace
}  // namespace freshet::kernels
