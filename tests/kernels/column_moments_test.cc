#include "kernels/column_moments.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/device_vector.h"

namespace freshet::kernels {
namespace {

struct Reference {
  int64_t n = 0;
  double mean = 0, var = 0, min = INFINITY, max = -INFINITY;
};

// Two-pass reference over the present values, after `f`.
template <typename F>
Reference TwoPass(const std::vector<double>& x, const std::vector<uint8_t>& valid, F f) {
  Reference r;
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || (!valid.empty() && !valid[i])) continue;
    const double v = f(x[i]);
    sum += v;
    ++r.n;
    r.min = std::min(r.min, v);
    r.max = std::max(r.max, v);
  }
  r.mean = r.n ? sum / r.n : 0;
  double ss = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || (!valid.empty() && !valid[i])) continue;
    ss += (f(x[i]) - r.mean) * (f(x[i]) - r.mean);
  }
  r.var = r.n ? ss / r.n : 0;
  return r;
}

void ExpectClose(const Moments& m, const Reference& r) {
  ASSERT_EQ(m.n, r.n);
  EXPECT_NEAR(m.mean, r.mean, 1e-9 * std::max(1.0, std::abs(r.mean)));
  EXPECT_NEAR(m.m2 / std::max<int64_t>(m.n, 1), r.var, 1e-9 * std::max(1.0, r.var));
  EXPECT_EQ(m.min, r.min);
  EXPECT_EQ(m.max, r.max);
}

struct Data {
  std::vector<double> x;
  std::vector<uint8_t> valid;
};

Data Random(size_t n, uint32_t seed, double offset) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 3.0);
  std::uniform_real_distribution<double> u(0, 1);
  Data d;
  for (size_t i = 0; i < n; ++i) {
    d.x.push_back(u(rng) < 0.05 ? std::nan("") : offset + g(rng));
    d.valid.push_back(u(rng) < 0.03 ? 0 : 1);
  }
  return d;
}

NumericColumnView View(const Data& d, double lo, double hi, bool log1p) {
  NumericColumnView v;
  v.type = kInF64;
  v.values = d.x.data();
  v.valid = d.valid.data();
  v.clip_lo = lo;
  v.clip_hi = hi;
  v.pointwise = log1p ? PointwiseBit(kLog1p) : 0;
  return v;
}

double ClipLog(double x, double lo, double hi, bool log1p) {
  x = std::clamp(x, lo, hi);
  return log1p ? (x < 0 ? -std::log1p(-x) : std::log1p(x)) : x;
}

TEST(NumericColumnMoments, MatchesTwoPassRawAndTransformed) {
  for (size_t n : {size_t{1}, size_t{255}, size_t{100003}}) {
    const Data a = Random(n, 1, 0.0), b = Random(n, 2, 1e9);
    const std::vector<NumericColumnView> views = {View(a, -2, 4, true),
                                                  View(b, -INFINITY, INFINITY, false)};
    std::vector<ColumnMoments> out(2);
    NumericColumnMoments(Device{}, views.data(), 2, static_cast<int64_t>(n), out.data(), nullptr);
    ExpectClose(out[0].raw, TwoPass(a.x, a.valid, [](double x) { return x; }));
    ExpectClose(out[0].transformed,
                TwoPass(a.x, a.valid, [](double x) { return ClipLog(x, -2, 4, true); }));
    ExpectClose(out[1].raw, TwoPass(b.x, b.valid, [](double x) { return x; }));
  }
}

TEST(NumericColumnMoments, SameResultForAnyThreadCount) {
  const Data a = Random(300000, 3, 5.0);
  const NumericColumnView v = View(a, -INFINITY, INFINITY, false);
  const char* old = std::getenv("FRESHET_THREADS");
  const std::string saved = old ? old : "";
  ColumnMoments one, many;
  setenv("FRESHET_THREADS", "1", 1);
  NumericColumnMoments(Device{}, &v, 1, 300000, &one, nullptr);
  setenv("FRESHET_THREADS", "7", 1);
  NumericColumnMoments(Device{}, &v, 1, 300000, &many, nullptr);
  if (old)
    setenv("FRESHET_THREADS", saved.c_str(), 1);
  else
    unsetenv("FRESHET_THREADS");
  EXPECT_EQ(one.raw.n, many.raw.n);
  EXPECT_NEAR(one.raw.mean, many.raw.mean, 1e-12 * std::abs(one.raw.mean));
  EXPECT_NEAR(one.raw.m2, many.raw.m2, 1e-9 * one.raw.m2);
}

TEST(NumericColumnMoments, EmptyAndAllMissing) {
  Data d;
  d.x = {std::nan(""), std::nan("")};
  d.valid = {1, 1};
  const NumericColumnView v = View(d, -INFINITY, INFINITY, false);
  ColumnMoments m;
  NumericColumnMoments(Device{}, &v, 1, 2, &m, nullptr);
  EXPECT_EQ(m.raw.n, 0);
  NumericColumnMoments(Device{}, &v, 1, 0, &m, nullptr);
  EXPECT_EQ(m.transformed.n, 0);
}

TEST(Moments, MergeOfSplitsEqualsWhole) {
  const Data a = Random(1000, 4, 100.0);
  Moments whole, left, right;
  for (size_t i = 0; i < 1000; ++i) {
    if (std::isnan(a.x[i])) continue;
    whole.Add(a.x[i]);
    (i < 377 ? left : right).Add(a.x[i]);
  }
  left.Merge(right);
  EXPECT_EQ(left.n, whole.n);
  EXPECT_NEAR(left.mean, whole.mean, 1e-12 * std::abs(whole.mean));
  EXPECT_NEAR(left.m2, whole.m2, 1e-9 * whole.m2);
  EXPECT_EQ(left.min, whole.min);
  EXPECT_EQ(left.max, whole.max);
}

// GPU vs CPU on the same seeded input; tolerance: relative 1e-9 on mean and variance (the merge
// order differs), min and max exact.
TEST(NumericColumnMomentsCuda, MatchesCpu_CUDA) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  for (size_t n : {size_t{1}, size_t{255}, size_t{1000003}}) {
    const Data a = Random(n, 5, 1e6);
    test_util::DeviceVector<double> dx(a.x);
    test_util::DeviceVector<uint8_t> dv(a.valid);
    NumericColumnView host = View(a, 1e6 - 2, 1e6 + 3, true);
    NumericColumnView dev = host;
    dev.values = dx.data();
    dev.valid = dv.data();
    ColumnMoments cpu, gpu;
    NumericColumnMoments(Device{}, &host, 1, static_cast<int64_t>(n), &cpu, nullptr);
    NumericColumnMoments(Device{DeviceKind::kCuda, 0}, &dev, 1, static_cast<int64_t>(n), &gpu,
                         nullptr);
    for (auto [c, g] : {std::pair{cpu.raw, gpu.raw}, std::pair{cpu.transformed, gpu.transformed}}) {
      ASSERT_EQ(c.n, g.n);
      EXPECT_NEAR(g.mean, c.mean, 1e-9 * std::max(1.0, std::abs(c.mean)));
      EXPECT_NEAR(g.m2, c.m2, 1e-9 * std::max(1.0, c.m2));
      EXPECT_EQ(g.min, c.min);
      EXPECT_EQ(g.max, c.max);
    }
  }
}

}  // namespace
}  // namespace freshet::kernels
