#include "freshet/metrics.hpp"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace freshet {
namespace {

// The Mann-Whitney statistic by brute force over every (positive, negative) pair.
double BruteForceAuc(const std::vector<float>& scores, const std::vector<float>& labels) {
  double wins = 0.0, pairs = 0.0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 1.0f) continue;
    for (size_t j = 0; j < scores.size(); ++j) {
      if (labels[j] != 0.0f) continue;
      pairs += 1.0;
      if (scores[i] > scores[j]) wins += 1.0;
      if (scores[i] == scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

TEST(RocAuc, HandComputedExample) {
  // Positives 0.8, 0.4; negatives 0.5, 0.1. Pairs: (0.8>0.5) (0.8>0.1) (0.4<0.5) (0.4>0.1) = 3/4.
  EXPECT_DOUBLE_EQ(RocAuc({0.8f, 0.5f, 0.4f, 0.1f}, {1, 0, 1, 0}), 0.75);
}

TEST(RocAuc, HandComputedExampleWithTie) {
  // Positives 0.7, 0.3; negatives 0.3, 0.2, 0.9. Pairs won: 0.7 beats 0.3 and 0.2 (2); 0.3 ties
  // 0.3 (0.5) and beats 0.2 (1). Total 3.5 of 6.
  EXPECT_DOUBLE_EQ(RocAuc({0.7f, 0.3f, 0.3f, 0.2f, 0.9f}, {1, 1, 0, 0, 0}), 3.5 / 6.0);
}

TEST(RocAuc, PerfectIsOne) {
  EXPECT_DOUBLE_EQ(RocAuc({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}), 1.0);
}

TEST(RocAuc, InvertedIsZero) {
  EXPECT_DOUBLE_EQ(RocAuc({0.9f, 0.8f, 0.2f, 0.1f}, {0, 0, 1, 1}), 0.0);
}

TEST(RocAuc, AllTiedIsHalf) {
  EXPECT_DOUBLE_EQ(RocAuc({0.3f, 0.3f, 0.3f, 0.3f, 0.3f}, {0, 1, 1, 0, 1}), 0.5);
}

TEST(RocAuc, OneClassOnlyIsNan) {
  EXPECT_TRUE(std::isnan(RocAuc({0.1f, 0.5f, 0.9f}, {1, 1, 1})));
  EXPECT_TRUE(std::isnan(RocAuc({0.1f, 0.5f, 0.9f}, {0, 0, 0})));
  EXPECT_TRUE(std::isnan(RocAuc({}, {})));
}

TEST(RocAuc, MatchesBruteForceOnRandomData) {
  std::mt19937 rng(20240611);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int trial = 0; trial < 20; ++trial) {
    const size_t n = 2 + rng() % 300;
    std::vector<float> scores(n), labels(n);
    for (size_t i = 0; i < n; ++i) {
      labels[i] = uniform(rng) < 0.3f ? 1.0f : 0.0f;
      // Rounded to 1/20 on odd trials so ties are common.
      scores[i] = uniform(rng) + 0.3f * labels[i];
      if (trial % 2) scores[i] = std::round(scores[i] * 20.0f) / 20.0f;
    }
    labels[0] = 1.0f;  // both classes present
    labels[1] = 0.0f;
    EXPECT_NEAR(RocAuc(scores, labels), BruteForceAuc(scores, labels), 1e-12)
        << "trial " << trial << ", n = " << n;
  }
}

TEST(RocAuc, InvariantToScoreOrderOfRows) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> scores(50), labels(50);
  for (size_t i = 0; i < scores.size(); ++i) {
    labels[i] = static_cast<float>(i % 3 == 0);
    scores[i] = uniform(rng);
  }
  const double auc = RocAuc(scores, labels);
  std::vector<float> rs(scores.rbegin(), scores.rend()), rl(labels.rbegin(), labels.rend());
  EXPECT_DOUBLE_EQ(RocAuc(rs, rl), auc);
}

TEST(LogLoss, MatchesTheFormula) {
  const std::vector<float> p = {0.9f, 0.2f, 0.6f, 0.35f};
  const std::vector<float> y = {1, 0, 0, 1};
  const double expected = -(std::log(double{0.9f}) + std::log(1.0 - double{0.2f}) +
                            std::log(1.0 - double{0.6f}) + std::log(double{0.35f})) /
                          4.0;
  EXPECT_NEAR(LogLoss(p, y), expected, 1e-12);
}

TEST(LogLoss, MatchesTheFormulaOnRandomData) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(0.001f, 0.999f);
  std::vector<float> p(1000), y(1000);
  double sum = 0.0;
  for (size_t i = 0; i < p.size(); ++i) {
    p[i] = uniform(rng);
    y[i] = rng() % 2 ? 1.0f : 0.0f;
    sum += y[i] == 1.0f ? -std::log(double{p[i]}) : -std::log(1.0 - double{p[i]});
  }
  EXPECT_NEAR(LogLoss(p, y), sum / 1000.0, 1e-9);
}

TEST(LogLoss, ClipsCertainWrongPredictions) {
  // p = 0 for a positive and p = 1 for a negative each cost -log(1e-15).
  const double per_row = -std::log(1e-15);
  EXPECT_NEAR(LogLoss({0.0f}, {1}), per_row, 1e-6);
  EXPECT_NEAR(LogLoss({1.0f}, {0}), per_row, 1e-6);
  EXPECT_NEAR(LogLoss({0.0f, 1.0f}, {1, 0}), per_row, 1e-6);
  EXPECT_TRUE(std::isfinite(LogLoss({0.0f, 1.0f}, {1, 0})));
  // Anything below 1e-15 costs the same as 0.
  EXPECT_NEAR(LogLoss({1e-20f}, {1}), per_row, 1e-6);
}

TEST(LogLoss, CertainRightPredictionsCostAlmostNothing) {
  const double loss = LogLoss({0.0f, 1.0f}, {0, 1});
  EXPECT_GE(loss, 0.0);
  EXPECT_LT(loss, 1e-14);
}

TEST(LogLoss, EmptyIsNan) { EXPECT_TRUE(std::isnan(LogLoss({}, {}))); }

TEST(Accuracy, CountsMatchesAtThreshold) {
  // 0.5 counts as predicting 1.
  EXPECT_DOUBLE_EQ(Accuracy({0.5f, 0.49f, 0.9f, 0.1f, 0.7f}, {1, 0, 0, 0, 1}), 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(Accuracy({0.5f}, {0}), 0.0);
  EXPECT_DOUBLE_EQ(Accuracy({0.2f, 0.8f}, {0, 1}), 1.0);
}

TEST(Accuracy, EmptyIsNan) { EXPECT_TRUE(std::isnan(Accuracy({}, {}))); }

}  // namespace
}  // namespace freshet
