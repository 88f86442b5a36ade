// The host half of a numeric column's profile (src/validate/profile_numeric.cc): the radix select
// against a full sort, the moments against the CPU kernel's to the bit, few-valued columns.
#include "validate/profile_numeric.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "common/scoped_threads.h"
#include "features/vocab.h"
#include "kernels/column_histogram.h"
#include "kernels/column_moments.h"
#include "kernels/xxhash64.h"

namespace freshet::profile_internal {
namespace {

// numpy.quantile(values, q), linear, by a full sort.
double SortedQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<double> Levels() {
  std::vector<double> qs(std::begin(kProfileQuantiles), std::end(kProfileQuantiles));
  for (int k = 0; k <= 20; ++k) qs.push_back(k / 20.0);
  qs.push_back(0.123456);
  return qs;
}

TEST(ProfileQuantiles, EqualAFullSort) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> g(0, 1);
  std::vector<std::vector<double>> sets;
  std::vector<double> v;
  for (int i = 0; i < 50000; ++i) v.push_back(g(rng));
  sets.push_back(v);  // both signs
  for (double& x : v) x = std::exp(3 * x);
  sets.push_back(v);  // heavy tail: most values in few buckets of the key range
  for (double& x : v) x = 1000 + 1e-9 * std::log(x);
  sets.push_back(v);  // a narrow range
  for (double& x : v) x = std::round(x * 1e9) / 7;
  sets.push_back(v);  // ties
  v.assign(3000, 2.5);
  v[17] = -0.0;
  v[18] = 0.0;
  sets.push_back(v);  // one value and a zero
  sets.push_back({7.0});
  const std::vector<double> qs = Levels();
  for (size_t s = 0; s < sets.size(); ++s) {
    const std::vector<double> before = sets[s];
    const std::vector<double> got = Quantiles(sets[s], qs);
    EXPECT_EQ(sets[s], before) << "set " << s << ": the values are not reordered";
    for (size_t k = 0; k < qs.size(); ++k) {
      EXPECT_EQ(got[k], SortedQuantile(sets[s], qs[k])) << "set " << s << " q " << qs[k];
    }
  }
  EXPECT_EQ(Quantiles({}, qs), std::vector<double>(qs.size(), 0.0));
}

// The moments of FillMoments are the CPU kernel's, to the bit, for any number of parts; with an
// infinity, the finite values' in one part. Few-valued columns take their quantiles from their
// distinct values.
TEST(ProfileMoments, EqualTheKernelsToTheBit) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(50, 20);
  std::vector<double> values(200001);
  for (double& x : values) x = g(rng);
  values[5] = NAN;
  values[70000] = NAN;
  for (bool with_inf : {false, true}) {
    if (with_inf) values[1234] = INFINITY;
    const Column col = NumericColumn("x", DType::kF64, values);
    for (int parts : {1, 2, 3}) {
      NumericProfile p;
      FiniteValues finite;
      HostNumeric(col, ProfileOptions{}, true, true, parts, &p, &finite);
      FillMoments({&finite}, col.size(), {&p});
      const kernels::NumericColumnView view = NumericView(col);
      kernels::Moments want;
      int64_t inf = 0;
      for (int part = 0; part < parts; ++part) {
        kernels::Moments m;
        for (int64_t i = col.size() * part / parts; i < col.size() * (part + 1) / parts; ++i) {
          bool missing;
          const double x = kernels::LoadNumeric(view, i, &missing);
          if (missing) continue;
          if (with_inf && std::isinf(x)) {
            ++inf;
            continue;
          }
          (with_inf ? want : m).Add(x);
        }
        want.Merge(m);
      }
      EXPECT_EQ(p.count, want.n) << parts;
      EXPECT_EQ(p.inf, inf);
      EXPECT_EQ(p.nan, 2);
      EXPECT_EQ(p.mean, want.mean) << parts << " parts, inf " << with_inf;
      EXPECT_EQ(p.std, std::sqrt(want.m2 / static_cast<double>(want.n))) << parts;
      EXPECT_EQ(p.min, want.min);
      EXPECT_EQ(p.max, want.max);
      EXPECT_TRUE(p.many);
      EXPECT_EQ(p.sample.size(), 10000u);
      EXPECT_TRUE(std::is_sorted(p.sample.begin(), p.sample.end()));
    }
  }
  // Histograms on the column's own edges and on given ones (edges on values, outside the range,
  // repeated) count what the kernel counts, less the infinity.
  const Column col = NumericColumn("x", DType::kF64, values);
  NumericProfile own;
  FiniteValues finite;
  HostNumeric(col, ProfileOptions{}, true, true, 2, &own, &finite);
  for (const std::vector<double>& edges :
       {own.edges, std::vector<double>{-1000, values[3], values[3], 40.5, 1e9},
        std::vector<double>{2.0, 2.0}}) {
    NumericProfile p;
    p.edges = edges;
    HostNumeric(col, ProfileOptions{}, false, true, 2, &p, &finite);
    kernels::HistogramColumn h;
    h.input = NumericView(col);
    h.edges_count = static_cast<int32_t>(edges.size());
    std::vector<int64_t> counts(edges.size() - 1, 0);
    int64_t missing = 0;
    kernels::cpu_impl::NumericColumnHistograms(&h, 1, edges.data(), col.size(), counts.data(),
                                               &missing);
    counts[kernels::HistogramBin(edges.data(), h.edges_count, INFINITY)] -= 1;
    EXPECT_EQ(p.hist, counts) << edges.size() << " edges";
  }
  // The sample is selection sampling with std::uniform_real_distribution's draws, as before.
  {
    std::vector<double> finite_values;
    for (double x : values) {
      if (std::isfinite(x)) finite_values.push_back(x);
    }
    std::mt19937_64 rng(ProfileOptions{}.seed ^ kernels::Xxh64("x", 1, 0));
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> want;
    int64_t need = ProfileOptions{}.sample_size;
    const auto n = static_cast<int64_t>(finite_values.size());
    for (int64_t i = 0; i < n && need > 0; ++i) {
      if (u(rng) * static_cast<double>(n - i) < static_cast<double>(need)) {
        want.push_back(finite_values[i]);
        --need;
      }
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(own.sample, want);
  }
  // 32 distinct values: counted, and the quantiles from them; 33: many.
  for (int distinct : {32, 33}) {
    std::vector<int32_t> ints(5000);
    for (size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<int32_t>((i * 7919) % distinct);
    const Column col = NumericColumn("k", DType::kI32, ints);
    NumericProfile p;
    FiniteValues finite;
    HostNumeric(col, ProfileOptions{}, true, true, 1, &p, &finite);
    EXPECT_EQ(p.many, distinct > 32);
    EXPECT_EQ(p.distinct.size(), distinct > 32 ? 0u : 32u);
    std::vector<double> as_double(ints.begin(), ints.end());
    for (size_t k = 0; k < std::size(kProfileQuantiles); ++k) {
      EXPECT_EQ(p.quantiles[k], SortedQuantile(as_double, kProfileQuantiles[k])) << distinct;
    }
  }
}

}  // namespace
}  // namespace freshet::profile_internal
