// The paired bootstrap: its resampling, its fast path against the reference path, determinism
// whatever the thread count, and the coverage of its intervals on data with a known answer.
#include "eval/bootstrap.h"
#include "eval/bootstrap_draws.h"
#include "eval/bootstrap_sorted.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/scoped_threads.h"
#include "freshet/metrics.hpp"
#include "kernels/parallel.h"

namespace freshet {
namespace {

using bootstrap_internal::LinearQuantile;
using bootstrap_internal::ResampleCounts;
using bootstrap_internal::ResampleDeltas;

// Two models' scores on binormal data: a positive scores mu + noise, a negative noise, the two
// models' noises N(0, 1) with correlation rho on the same row. AUC = Phi(mu / sqrt(2)).
struct TwoModels {
  std::vector<float> a, b, labels;
};
TwoModels Binormal(uint64_t seed, size_t n, double mu_a, double mu_b, double rho,
                   double prevalence = 0.4) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution positive(prevalence);
  TwoModels m;
  for (size_t i = 0; i < n; ++i) {
    const double y = positive(rng) ? 1.0 : 0.0;
    const double z1 = normal(rng), z2 = normal(rng);
    m.a.push_back(static_cast<float>(mu_a * y + z1));
    m.b.push_back(static_cast<float>(mu_b * y + rho * z1 + std::sqrt(1 - rho * rho) * z2));
    m.labels.push_back(static_cast<float>(y));
  }
  return m;
}

double BinormalAuc(double mu) { return 0.5 * std::erfc(-mu / 2.0); }  // Phi(mu / sqrt 2)

TEST(BootstrapCounts, SumToRowsAndAreDeterministic) {
  const std::vector<uint32_t> c = ResampleCounts(100000, 42, 3);
  EXPECT_EQ(std::accumulate(c.begin(), c.end(), uint64_t{0}), 100000u);
  EXPECT_EQ(c, ResampleCounts(100000, 42, 3));
  EXPECT_NE(c, ResampleCounts(100000, 42, 4));
  EXPECT_NE(c, ResampleCounts(100000, 43, 3));
  // Each count is Binomial(N, 1/N): about e^-1 of the rows are never drawn.
  const double zeros = static_cast<double>(std::count(c.begin(), c.end(), 0u)) / c.size();
  EXPECT_NEAR(zeros, std::exp(-1.0), 0.005);
  EXPECT_EQ(ResampleCounts(1, 5, 0), std::vector<uint32_t>{1});
}

// Eight streams drawn at once (AVX-512) give each stream's draws as drawing it alone: with rare
// rejected products (n = 100 003), and with frequent ones (n = 3e9: 2^32 mod n is 30% of 2^32),
// whose replacements come from the stream's next outputs.
TEST(BootstrapCounts, EightStreamsAtOnceDrawAsOneAtATime) {
  using namespace bootstrap_internal;
  if (WidestLanes() != kMaxLanes) GTEST_SKIP() << "this CPU has no AVX-512F and AVX-512DQ";
  for (uint32_t n : {100003u, 3000000000u}) {
    SCOPED_TRACE(n);
    constexpr int64_t kPairs = 700;
    uint64_t states[kMaxLanes];
    for (int l = 0; l < kMaxLanes; ++l) states[l] = DrawStream(17, 40 + l).state();
    std::vector<uint32_t> out(2 * kPairs * kMaxLanes);
    // In two calls, the states carried from the first to the second.
    DrawPairs8(states, n, 300, out.data());
    DrawPairs8(states, n, kPairs - 300, out.data() + 2 * 300 * kMaxLanes);
    for (int l = 0; l < kMaxLanes; ++l) {
      DrawStream alone(17, 40 + l);
      std::vector<uint32_t> want;
      alone.Draw(n, 2 * kPairs, [&](uint32_t i) { want.push_back(i); });
      for (int64_t q = 0; q < 2 * kPairs; ++q) {
        ASSERT_EQ(out[q * kMaxLanes + l], want[q]) << "stream " << l << " draw " << q;
      }
      EXPECT_EQ(states[l], alone.state()) << l;
    }
  }
}

TEST(BootstrapQuantile, AsNumpyLinear) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(LinearQuantile(v, 0.025), 1.075);
  EXPECT_DOUBLE_EQ(LinearQuantile(v, 0.975), 3.925);
  EXPECT_DOUBLE_EQ(LinearQuantile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(LinearQuantile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(LinearQuantile(v, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(LinearQuantile({7}, 0.3), 7.0);
}

TEST(PairedBootstrap, FastPathEqualsReference) {
  const TwoModels m = Binormal(1, 1500, 1.0, 0.7, 0.5);
  std::vector<float> weights(m.labels.size());
  std::mt19937 rng(2);
  for (float& w : weights) w = static_cast<float>(rng() % 4);  // exact as count * weight floats
  // Rounded scores: many ties.
  std::vector<float> ra(m.a), rb(m.b);
  for (float& s : ra) s = std::round(s * 4) / 4;
  for (float& s : rb) s = std::round(s * 4) / 4;
  for (const char* metric : {"auc", "pr_auc"}) {
    for (bool weighted : {false, true}) {
      for (bool ties : {false, true}) {
        const auto& a = ties ? ra : m.a;
        const auto& b = ties ? rb : m.b;
        const std::vector<float> w = weighted ? weights : std::vector<float>{};
        const auto fast =
            ResampleDeltas(metric, Task::kBinary, 0, a, b, m.labels, w, 40, 9, {}, false);
        const auto ref =
            ResampleDeltas(metric, Task::kBinary, 0, a, b, m.labels, w, 40, 9, {}, true);
        ASSERT_EQ(fast.size(), ref.size());
        for (size_t r = 0; r < fast.size(); ++r) {
          EXPECT_NEAR(fast[r], ref[r], 1e-12)
              << metric << " weighted " << weighted << " ties " << ties << " resample " << r;
        }
      }
    }
  }
}

// The weighted sums (rows weighted by count * weight) give what the drawn rows themselves give.
TEST(PairedBootstrap, WeightedPathEqualsTheDrawnRows) {
  const TwoModels m = Binormal(3, 700, 1.0, 0.6, 0.4);
  std::vector<float> pa(m.a.size()), pb(m.b.size()), w(m.a.size());
  std::mt19937 rng(5);
  for (size_t i = 0; i < m.a.size(); ++i) {
    pa[i] = 1.0f / (1.0f + std::exp(-m.a[i]));
    pb[i] = 1.0f / (1.0f + std::exp(-m.b[i]));
    w[i] = static_cast<float>(rng() % 4) * 0.5f;
  }
  const std::vector<std::string> binary = {"log_loss", "brier", "accuracy", "precision",
                                           "recall",   "f1",    "ece"};
  for (bool weighted : {false, true}) {
    const std::vector<float> ww = weighted ? w : std::vector<float>{};
    const auto fast = bootstrap_internal::ResampleDeltasOf(binary, Task::kBinary, 0, pa, pb,
                                                           m.labels, ww, 30, 7, {}, false);
    const auto ref = bootstrap_internal::ResampleDeltasOf(binary, Task::kBinary, 0, pa, pb,
                                                          m.labels, ww, 30, 7, {}, true);
    for (size_t k = 0; k < binary.size(); ++k) {
      for (size_t r = 0; r < 30; ++r) {
        EXPECT_NEAR(fast[k][r], ref[k][r], 1e-9) << binary[k] << " weighted " << weighted;
      }
    }
  }
  // Regression, with labels near 0 for MAPE.
  std::vector<float> y(m.a.size()), a(m.a.size()), b(m.a.size());
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = m.labels[i] + 0.1f * m.b[i];
    a[i] = y[i] + 0.3f * m.a[i];
    b[i] = y[i] - 0.2f * m.b[i];
  }
  const std::vector<std::string> reg = {"rmse", "mae", "r2", "mape"};
  const auto fast =
      bootstrap_internal::ResampleDeltasOf(reg, Task::kRegression, 0, a, b, y, w, 20, 2, {}, false);
  const auto ref =
      bootstrap_internal::ResampleDeltasOf(reg, Task::kRegression, 0, a, b, y, w, 20, 2, {}, true);
  for (size_t k = 0; k < reg.size(); ++k) {
    for (size_t r = 0; r < 20; ++r) {
      EXPECT_NEAR(fast[k][r], ref[k][r], 1e-9 * std::max(1.0, std::fabs(ref[k][r]))) << reg[k];
    }
  }
}

// Unweighted binary rows take one pass per model over its sorted scores for all nine metrics:
// with tied probabilities (on the threshold and on calibration bin edges among them) and a NaN
// model, it gives what the drawn rows themselves give.
TEST(PairedBootstrap, SortedPassOfEveryBinaryMetricEqualsTheDrawnRows) {
  const TwoModels m = Binormal(6, 900, 1.0, 0.6, 0.4, 0.3);
  std::vector<float> pa(m.a.size()), pb(m.b.size());
  for (size_t i = 0; i < m.a.size(); ++i) {
    pa[i] = std::round(20.0f / (1.0f + std::exp(-m.a[i]))) / 20.0f;  // 0, 0.05, ..., 1
    pb[i] = 1.0f / (1.0f + std::exp(-m.b[i]));
  }
  pb[7] = 0.5f;
  const auto names = TaskMetricNames(Task::kBinary);
  MetricOptions options;
  options.threshold = 0.45;
  options.calibration_bins = 7;
  std::vector<float> nan_scores(pb);
  nan_scores[3] = std::nanf("");
  for (const auto* b : {&pb, &nan_scores}) {
    const auto fast = bootstrap_internal::ResampleDeltasOf(names, Task::kBinary, 0, pa, *b,
                                                           m.labels, {}, 25, 3, options, false);
    const auto ref = bootstrap_internal::ResampleDeltasOf(names, Task::kBinary, 0, pa, *b, m.labels,
                                                          {}, 25, 3, options, true);
    for (size_t k = 0; k < names.size(); ++k) {
      for (size_t r = 0; r < 25; ++r) {
        if (b == &nan_scores) {
          EXPECT_TRUE(std::isnan(fast[k][r])) << names[k];
        } else {
          EXPECT_NEAR(fast[k][r], ref[k][r], 1e-12) << names[k] << " resample " << r;
        }
      }
    }
  }
}

// The lanes' pass gives the same with 32-bit counts (the path of a count past 255) as with bytes,
// and AUC and average precision as SortedMetric on each lane's counts; with 2 lanes and with the
// widest this CPU runs.
TEST(PairedBootstrap, LanesOfBytesAndOfWideCountsAgree) {
  using namespace bootstrap_internal;
  const TwoModels m = Binormal(7, 700, 1.0, 0.6, 0.4);
  std::vector<float> p(m.a.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = std::round(10.0f / (1.0f + std::exp(-m.a[i]))) / 10;
  MetricOptions options;
  const SortedScores s = SortScores(p, m.labels, {}, &options);
  for (int lanes : {2, WidestLanes()}) {
    SCOPED_TRACE(lanes);
    std::vector<uint8_t> bytes(p.size() * lanes);
    std::vector<uint32_t> wide(bytes.size());
    std::vector<std::vector<uint32_t>> lane(lanes);
    for (int l = 0; l < lanes; ++l) {
      lane[l] = ResampleCounts(p.size(), 11, l);
      for (size_t i = 0; i < p.size(); ++i) bytes[i * lanes + l] = wide[i * lanes + l] = lane[l][i];
    }
    SortedSums from_bytes[kMaxLanes], from_wide[kMaxLanes];
    SortedPassLanes(s, lanes, bytes.data(), true, true, options.calibration_bins, from_bytes);
    SortedPassLanes(s, lanes, wide.data(), true, true, options.calibration_bins, from_wide);
    for (int l = 0; l < lanes; ++l) {
      for (const auto& metric : TaskMetricNames(Task::kBinary)) {
        EXPECT_EQ(SortedSumsMetric(metric, s, from_bytes[l]),
                  SortedSumsMetric(metric, s, from_wide[l]))
            << metric;
      }
      EXPECT_EQ(from_bytes[l].auc, SortedMetric(s, lane[l].data(), false));
      EXPECT_EQ(from_bytes[l].ap, SortedMetric(s, lane[l].data(), true));
    }
  }
}

// A resample's every metric is the same to the bit in a pass of 8 lanes (AVX-512) as in one of 2:
// the pass that runs depends on the CPU, the results must not.
TEST(PairedBootstrap, EightLanesGiveTheBitsOfTwo) {
  using namespace bootstrap_internal;
  if (WidestLanes() != kMaxLanes) GTEST_SKIP() << "this CPU has no AVX-512F and AVX-512DQ";
  const TwoModels m = Binormal(9, 5000, 1.0, 0.6, 0.4, 0.3);
  std::vector<float> p(m.a.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = 1.0f / (1.0f + std::exp(-m.a[i]));
  p[11] = p[12] = p[13] = 0.5f;  // a tied group
  MetricOptions options;
  options.calibration_bins = 9;
  for (bool terms : {false, true}) {
    const SortedScores s = SortScores(p, m.labels, {}, terms ? &options : nullptr);
    std::vector<uint8_t> eight(p.size() * 8);
    std::vector<std::vector<uint8_t>> two(4, std::vector<uint8_t>(p.size() * 2));
    for (int l = 0; l < 8; ++l) {
      const std::vector<uint32_t> c = ResampleCounts(p.size(), 5, l);
      for (size_t i = 0; i < p.size(); ++i) {
        eight[i * 8 + l] = two[l / 2][i * 2 + l % 2] = static_cast<uint8_t>(c[i]);
      }
    }
    for (bool ap : {false, true}) {
      SortedSums wide[kMaxLanes], narrow[kMaxLanes];
      SortedPassLanes(s, 8, eight.data(), ap, terms, options.calibration_bins, wide);
      for (int g = 0; g < 4; ++g) {
        SortedPassLanes(s, 2, two[g].data(), ap, terms, options.calibration_bins, narrow + 2 * g);
      }
      for (int l = 0; l < 8; ++l) {
        EXPECT_EQ(wide[l].auc, narrow[l].auc) << l;
        EXPECT_EQ(wide[l].ap, narrow[l].ap) << l;
        const BinarySums &w = wide[l].sums, &n = narrow[l].sums;
        EXPECT_EQ(w.weight, n.weight);
        EXPECT_EQ(w.log_loss, n.log_loss);
        EXPECT_EQ(w.squared, n.squared);
        EXPECT_EQ(w.tp, n.tp);
        EXPECT_EQ(w.fp, n.fp);
        EXPECT_EQ(w.correct, n.correct);
        EXPECT_EQ(w.bin_weight, n.bin_weight);
        EXPECT_EQ(w.bin_p, n.bin_p);
        EXPECT_EQ(w.bin_positive, n.bin_positive);
      }
    }
  }
}

TEST(PairedBootstrap, ManyMetricsEqualSeparateCalls) {
  const TwoModels m = Binormal(4, 500, 1.0, 0.7, 0.5);
  std::vector<float> pa(m.a.size()), pb(m.b.size());
  for (size_t i = 0; i < m.a.size(); ++i) {
    pa[i] = 1.0f / (1.0f + std::exp(-m.a[i]));
    pb[i] = 1.0f / (1.0f + std::exp(-m.b[i]));
  }
  const auto names = TaskMetricNames(Task::kBinary);
  const auto many = PairedBootstraps(names, Task::kBinary, 0, pa, pb, m.labels, {}, 60, 8, 0.9);
  ASSERT_EQ(many.size(), names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    const auto one = PairedBootstrap(names[k], Task::kBinary, 0, pa, pb, m.labels, {}, 60, 8, 0.9);
    EXPECT_EQ(many[k].delta, one.delta) << names[k];
    EXPECT_EQ(many[k].lower, one.lower) << names[k];
    EXPECT_EQ(many[k].upper, one.upper) << names[k];
    EXPECT_EQ(many[k].resamples, one.resamples) << names[k];
  }
}

TEST(PairedBootstrap, DeterministicWhateverTheThreads) {
  const TwoModels m = Binormal(3, 3000, 1.0, 0.8, 0.6);
  std::vector<float> w(m.labels.size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5f + static_cast<float>(i % 3);
  for (const char* metric : {"auc", "log_loss", "brier"}) {
    std::vector<BootstrapInterval> runs;
    for (int threads : {1, 2, 5}) {
      testing::ScopedThreads env(threads);
      std::vector<float> pa(m.a), pb(m.b);
      for (float& s : pa) s = 1 / (1 + std::exp(-s));
      for (float& s : pb) s = 1 / (1 + std::exp(-s));
      runs.push_back(PairedBootstrap(metric, Task::kBinary, 0, pa, pb, m.labels, w, 101, 77, 0.9));
    }
    for (size_t i = 1; i < runs.size(); ++i) {
      EXPECT_EQ(runs[i].delta, runs[0].delta) << metric;
      EXPECT_EQ(runs[i].lower, runs[0].lower) << metric;
      EXPECT_EQ(runs[i].upper, runs[0].upper) << metric;
      EXPECT_EQ(runs[i].resamples, 101);
      EXPECT_EQ(runs[i].dropped, 0);
    }
    EXPECT_LT(runs[0].lower, runs[0].upper) << metric;
  }
  const auto one = PairedBootstrap("auc", Task::kBinary, 0, m.a, m.b, m.labels, {}, 50, 1, 0.95);
  const auto other = PairedBootstrap("auc", Task::kBinary, 0, m.a, m.b, m.labels, {}, 50, 2, 0.95);
  EXPECT_EQ(one.delta, other.delta);
  EXPECT_NE(one.lower, other.lower);
}

TEST(PairedBootstrap, DropsNanResamples) {
  // One positive in six rows: a resample that misses it has no AUC.
  const std::vector<float> a = {0.9f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  const std::vector<float> b = {0.5f, 0.1f, 0.2f, 0.3f, 0.4f, 0.9f};
  const std::vector<float> y = {1, 0, 0, 0, 0, 0};
  const auto r = PairedBootstrap("auc", Task::kBinary, 0, a, b, y, {}, 200, 5, 0.95);
  EXPECT_DOUBLE_EQ(r.delta, 1.0 - 0.8);
  EXPECT_GT(r.dropped, 0);
  EXPECT_GT(r.resamples, 0);
  EXPECT_EQ(r.resamples + r.dropped, 200);
  const auto none = PairedBootstrap("auc", Task::kBinary, 0, a, b, y, {}, 0, 5, 0.95);
  EXPECT_EQ(none.resamples, 0);
  EXPECT_TRUE(std::isnan(none.lower) && std::isnan(none.upper));
  EXPECT_THROW(PairedBootstrap("rmse", Task::kBinary, 0, a, b, y, {}, 10, 5, 0.95),
               std::invalid_argument);
}

TEST(PairedBootstrap, OtherTasksAndMetrics) {
  std::mt19937 rng(12);
  std::normal_distribution<float> normal;
  const size_t n = 800;
  std::vector<float> y(n), a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    y[i] = normal(rng);
    a[i] = y[i] + 0.5f * normal(rng);
    b[i] = y[i] + 0.7f * normal(rng);
  }
  for (const char* metric : {"rmse", "mae", "r2"}) {
    const auto r = PairedBootstrap(metric, Task::kRegression, 0, a, b, y, {}, 200, 3, 0.95);
    EXPECT_LE(r.lower, r.delta) << metric;
    EXPECT_GE(r.upper, r.delta) << metric;
    EXPECT_EQ(r.resamples, 200);
  }
  // Multiclass: model A puts 0.6 on the true class, model B 0.4.
  const int64_t k = 3;
  std::vector<float> labels(n), pa(n * k), pb(n * k);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<float>(rng() % k);
    for (int64_t c = 0; c < k; ++c) {
      const bool truth = c == static_cast<int64_t>(labels[i]);
      pa[i * k + c] = truth ? 0.6f : 0.2f;
      pb[i * k + c] = truth ? 0.4f : 0.3f;
    }
    if (i % 5 == 0) std::swap(pb[i * k], pb[i * k + 1]);
  }
  const auto ll =
      PairedBootstrap("log_loss", Task::kMulticlass, k, pa, pb, labels, {}, 100, 4, 0.9);
  EXPECT_LT(ll.upper, 0.0);
  const auto f1 =
      PairedBootstrap("macro_f1", Task::kMulticlass, k, pa, pb, labels, {}, 100, 4, 0.9);
  EXPECT_GT(f1.lower, 0.0);
}

// Over 200 data sets drawn from the binormal model, the 95 % interval of AUC(A) - AUC(B) covers
// the true difference Phi(mu_a / sqrt 2) - Phi(mu_b / sqrt 2) in about 95 % of them.
TEST(PairedBootstrap, CoverageOfTheTrueAucDifference) {
  const double mu_a = 1.0, mu_b = 0.8, rho = 0.6;
  const double truth = BinormalAuc(mu_a) - BinormalAuc(mu_b);
  const int repetitions = 200, resamples = 500;
  int covered = 0;
  double width = 0.0;
  for (int rep = 0; rep < repetitions; ++rep) {
    const TwoModels m = Binormal(1000 + rep, 2000, mu_a, mu_b, rho);
    const auto r = PairedBootstrap("auc", Task::kBinary, 0, m.a, m.b, m.labels, {}, resamples,
                                   500 + rep, 0.95);
    ASSERT_EQ(r.dropped, 0);
    covered += r.lower <= truth && truth <= r.upper;
    width += r.upper - r.lower;
  }
  const double coverage = static_cast<double>(covered) / repetitions;
  std::cout << "[ coverage ] 95% paired bootstrap of AUC difference " << truth << ": covered "
            << covered << "/" << repetitions << " = " << coverage << ", mean width "
            << width / repetitions << std::endl;
  RecordProperty("coverage", std::to_string(coverage));
  EXPECT_GE(coverage, 0.91);
  EXPECT_LE(coverage, 0.98);
}

// 1000 resamples of AUC on 1M rows. Run with --gtest_also_run_disabled_tests.
TEST(PairedBootstrap, DISABLED_TimingMillionRowsAuc) {
  const TwoModels m = Binormal(8, 1000000, 1.0, 0.9, 0.5);
  for (bool weighted : {false, true}) {
    std::vector<float> w;
    if (weighted) w.assign(m.labels.size(), 1.5f);
    const auto start = std::chrono::steady_clock::now();
    const auto r = PairedBootstrap("auc", Task::kBinary, 0, m.a, m.b, m.labels, w, 1000, 1, 0.95);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "[ timing ] PairedBootstrap auc, 1M rows, 1000 resamples, "
              << (weighted ? "weighted" : "unweighted") << ", " << kernels::ParallelThreads()
              << " threads: " << seconds << " s (delta " << r.delta << " [" << r.lower << ", "
              << r.upper << "])" << std::endl;
  }
}

}  // namespace
}  // namespace freshet
