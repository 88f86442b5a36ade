#include "freshet/metrics.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"

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

// The probability of the true class as sklearn 1.9 computes it on a float32 y_proba: 1 - p in
// float, clipped to [2^-23, 1 - 2^-23].
double TrueClassProbability(float p, float y) {
  const float q = y == 1.0f ? p : 1.0f - p;
  return std::clamp(q, FLT_EPSILON, 1.0f - FLT_EPSILON);
}

TEST(LogLoss, MatchesTheFormula) {
  const std::vector<float> p = {0.9f, 0.2f, 0.6f, 0.35f};
  const std::vector<float> y = {1, 0, 0, 1};
  const double expected = -(std::log(double{0.9f}) + std::log(double{1.0f - 0.2f}) +
                            std::log(double{1.0f - 0.6f}) + std::log(double{0.35f})) /
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
    sum -= std::log(TrueClassProbability(p[i], y[i]));
  }
  EXPECT_NEAR(LogLoss(p, y), sum / 1000.0, 1e-12);
}

TEST(LogLoss, ClipsAtFloat32Epsilon) {
  // sklearn 1.9 clips at the epsilon of the input's dtype: p = 0 for a positive and p = 1 for a
  // negative each cost -log(2^-23), a certain right prediction -log(1 - 2^-23).
  const double wrong = -std::log(double{FLT_EPSILON});
  const double right = -std::log(double{1.0f - FLT_EPSILON});
  EXPECT_NEAR(LogLoss({0.0f}, {1}), wrong, 1e-12);
  EXPECT_NEAR(LogLoss({1.0f}, {0}), wrong, 1e-12);
  EXPECT_NEAR(LogLoss({0.0f, 1.0f}, {1, 0}), wrong, 1e-12);
  EXPECT_NEAR(LogLoss({1e-20f}, {1}), wrong, 1e-12);
  EXPECT_NEAR(LogLoss({0.0f, 1.0f}, {0, 1}), right, 1e-18);
  EXPECT_GT(LogLoss({0.0f, 1.0f}, {0, 1}), 1e-7);
}

TEST(LogLoss, EmptyIsNan) { EXPECT_TRUE(std::isnan(LogLoss({}, {}))); }

TEST(Accuracy, CountsMatchesAtThreshold) {
  // 0.5 counts as predicting 1.
  EXPECT_DOUBLE_EQ(Accuracy({0.5f, 0.49f, 0.9f, 0.1f, 0.7f}, {1, 0, 0, 0, 1}), 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(Accuracy({0.5f}, {0}), 0.0);
  EXPECT_DOUBLE_EQ(Accuracy({0.2f, 0.8f}, {0, 1}), 1.0);
}

TEST(Accuracy, EmptyIsNan) { EXPECT_TRUE(std::isnan(Accuracy({}, {}))); }

// Random binary data: scores rounded to 1/8 on request, so ties (and 0, 0.5, 1) are common, and
// integer weights 0..3.
struct BinaryData {
  std::vector<float> scores, labels, weights;
};
BinaryData RandomBinary(uint32_t seed, size_t n, bool ties) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  BinaryData d;
  for (size_t i = 0; i < n; ++i) {
    const float y = uniform(rng) < 0.35f ? 1.0f : 0.0f;
    float s = std::clamp(0.6f * uniform(rng) + 0.4f * y * uniform(rng), 0.0f, 1.0f);
    if (ties) s = std::round(s * 8.0f) / 8.0f;
    d.scores.push_back(s);
    d.labels.push_back(y);
    d.weights.push_back(static_cast<float>(rng() % 4));
  }
  d.labels[0] = 1.0f;
  d.labels[1] = 0.0f;
  d.weights[0] = d.weights[1] = 1.0f;
  return d;
}

// The rows of `d` each repeated weight times, unweighted.
BinaryData Repeated(const BinaryData& d) {
  BinaryData r;
  for (size_t i = 0; i < d.scores.size(); ++i) {
    for (int c = 0; c < static_cast<int>(d.weights[i]); ++c) {
      r.scores.push_back(d.scores[i]);
      r.labels.push_back(d.labels[i]);
    }
  }
  return r;
}

TEST(BinaryMetrics, WeightsEqualRepeatedRows) {
  for (bool ties : {false, true}) {
    const BinaryData d = RandomBinary(ties ? 3 : 4, 400, ties);
    const BinaryData r = Repeated(d);
    const auto& w = d.weights;
    EXPECT_NEAR(RocAuc(d.scores, d.labels, w), RocAuc(r.scores, r.labels), 1e-12);
    EXPECT_NEAR(AveragePrecision(d.scores, d.labels, w), AveragePrecision(r.scores, r.labels),
                1e-12);
    EXPECT_NEAR(LogLoss(d.scores, d.labels, w), LogLoss(r.scores, r.labels), 1e-12);
    EXPECT_NEAR(Brier(d.scores, d.labels, w), Brier(r.scores, r.labels), 1e-12);
    EXPECT_NEAR(Accuracy(d.scores, d.labels, w, 0.4), Accuracy(r.scores, r.labels, {}, 0.4), 1e-12);
    EXPECT_NEAR(ExpectedCalibrationError(d.scores, d.labels, w, 7),
                ExpectedCalibrationError(r.scores, r.labels, {}, 7), 1e-12);
    const BinaryCounts cw = Confusion(d.scores, d.labels, w, 0.5);
    const BinaryCounts cr = Confusion(r.scores, r.labels, {}, 0.5);
    EXPECT_DOUBLE_EQ(cw.tp, cr.tp);
    EXPECT_DOUBLE_EQ(cw.fp, cr.fp);
    EXPECT_DOUBLE_EQ(cw.fn, cr.fn);
    EXPECT_DOUBLE_EQ(cw.tn, cr.tn);
    EXPECT_NEAR(F1(cw), F1(cr), 1e-12);
    const auto roc_w = RocCurve(d.scores, d.labels, w, 100000);
    const auto roc_r = RocCurve(r.scores, r.labels, {}, 100000);
    ASSERT_EQ(roc_w.size(), roc_r.size());
    for (size_t i = 0; i < roc_w.size(); ++i) {
      EXPECT_NEAR(roc_w[i].x, roc_r[i].x, 1e-12);
      EXPECT_NEAR(roc_w[i].y, roc_r[i].y, 1e-12);
    }
  }
}

TEST(BinaryMetrics, UnitWeightsEqualNoWeights) {
  const BinaryData d = RandomBinary(8, 300, true);
  const std::vector<float> ones(d.scores.size(), 1.0f);
  EXPECT_DOUBLE_EQ(RocAuc(d.scores, d.labels, ones), RocAuc(d.scores, d.labels));
  EXPECT_DOUBLE_EQ(LogLoss(d.scores, d.labels, ones), LogLoss(d.scores, d.labels));
  EXPECT_DOUBLE_EQ(AveragePrecision(d.scores, d.labels, ones),
                   AveragePrecision(d.scores, d.labels));
}

TEST(BinaryMetrics, RocAucMatchesWeightedBruteForce) {
  const BinaryData d = RandomBinary(21, 200, true);
  double wins = 0.0, pairs = 0.0;
  for (size_t i = 0; i < d.scores.size(); ++i) {
    if (d.labels[i] != 1.0f) continue;
    for (size_t j = 0; j < d.scores.size(); ++j) {
      if (d.labels[j] != 0.0f) continue;
      const double w = double{d.weights[i]} * d.weights[j];
      pairs += w;
      wins += w * (d.scores[i] > d.scores[j] ? 1.0 : d.scores[i] == d.scores[j] ? 0.5 : 0.0);
    }
  }
  EXPECT_NEAR(RocAuc(d.scores, d.labels, d.weights), wins / pairs, 1e-12);
}

TEST(BinaryMetrics, ZeroWeightClassIsNan) {
  EXPECT_TRUE(std::isnan(RocAuc({0.2f, 0.7f, 0.4f}, {0, 1, 0}, {1, 0, 2})));
  EXPECT_TRUE(std::isnan(AveragePrecision({0.2f, 0.7f}, {0, 1}, {1, 0})));
  EXPECT_TRUE(std::isnan(LogLoss({0.2f, 0.7f}, {0, 1}, {0, 0})));
  EXPECT_TRUE(RocCurve({0.2f, 0.7f}, {0, 1}, {1, 0}).empty());
}

TEST(BinaryMetrics, NanPredictionsGiveNan) {
  const std::vector<float> p = {0.2f, NAN, 0.9f}, y = {0, 1, 1};
  EXPECT_TRUE(std::isnan(RocAuc(p, y)));
  EXPECT_TRUE(std::isnan(AveragePrecision(p, y)));
  EXPECT_TRUE(std::isnan(LogLoss(p, y)));
  EXPECT_TRUE(std::isnan(Brier(p, y)));
  EXPECT_TRUE(std::isnan(Accuracy(p, y)));
  EXPECT_TRUE(std::isnan(Precision(Confusion(p, y, {}, 0.5))));
  EXPECT_TRUE(std::isnan(F1(Confusion(p, y, {}, 0.5))));
  EXPECT_TRUE(std::isnan(ExpectedCalibrationError(p, y)));
  EXPECT_TRUE(CalibrationBins(p, y).empty());
}

TEST(BinaryMetrics, BadWeightsThrow) {
  EXPECT_THROW(RocAuc({0.1f, 0.2f}, {0, 1}, {1}), Error);
  EXPECT_THROW(LogLoss({0.1f, 0.2f}, {0, 1}, {1, -1}), Error);
  EXPECT_THROW(Brier({0.1f, 0.2f}, {0, 1}, {1, NAN}), Error);
  EXPECT_THROW(Accuracy({0.1f, 0.2f}, {0, 1}, {1, INFINITY}), Error);
  EXPECT_THROW(RocAuc({0.1f}, {0, 1}), Error);
}

TEST(AveragePrecision, HandComputed) {
  // sklearn's docstring example: thresholds 0.8 (P 1, R 0.5), 0.4 (P 0.5), 0.35 (P 2/3, R 1).
  EXPECT_NEAR(AveragePrecision({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.5 + 0.5 * 2.0 / 3.0,
              1e-12);
  // One tied group of everything: precision is the positive rate at recall 1.
  EXPECT_NEAR(AveragePrecision({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 0}), 0.25, 1e-12);
  // Weighted: the positive at 0.8 has weight 3, the negative at 0.4 weight 2.
  EXPECT_NEAR(AveragePrecision({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}, {1, 2, 1, 3}),
              0.75 * 1.0 + 0.25 * (4.0 / 6.0), 1e-12);
  EXPECT_TRUE(std::isnan(AveragePrecision({0.1f, 0.9f}, {0, 0})));
  EXPECT_DOUBLE_EQ(AveragePrecision({0.1f, 0.9f}, {1, 1}), 1.0);
}

TEST(Brier, HandComputed) {
  EXPECT_NEAR(Brier({0.9f, 0.2f, 1.0f}, {1, 0, 0}),
              (std::pow(1 - double{0.9f}, 2) + std::pow(double{0.2f}, 2) + 1.0) / 3.0, 1e-12);
  EXPECT_NEAR(Brier({0.9f, 0.2f}, {1, 0}, {3, 1}),
              (3 * std::pow(1 - double{0.9f}, 2) + std::pow(double{0.2f}, 2)) / 4.0, 1e-12);
  EXPECT_TRUE(std::isnan(Brier({}, {})));
}

TEST(Confusion, CountsAndRatesAtThreshold) {
  const std::vector<float> p = {0.9f, 0.6f, 0.3f, 0.7f, 0.1f}, y = {1, 0, 1, 1, 0};
  const std::vector<float> w = {1, 2, 3, 1, 1};
  const BinaryCounts c = Confusion(p, y, w, 0.6);
  EXPECT_DOUBLE_EQ(c.tp, 2);  // 0.9, 0.7
  EXPECT_DOUBLE_EQ(c.fp, 2);  // 0.6 (>= counts), weight 2
  EXPECT_DOUBLE_EQ(c.fn, 3);
  EXPECT_DOUBLE_EQ(c.tn, 1);
  EXPECT_DOUBLE_EQ(Precision(c), 0.5);
  EXPECT_DOUBLE_EQ(Recall(c), 0.4);
  EXPECT_DOUBLE_EQ(F1(c), 4.0 / 9.0);
  EXPECT_DOUBLE_EQ(Accuracy(p, y, w, 0.6), 3.0 / 8.0);
}

TEST(Confusion, ZeroDivisionIsZero) {
  // Nothing predicted positive: precision 0/0 -> 0; F1's denominator 2tp + fp + fn = 1 > 0.
  const BinaryCounts none = Confusion({0.1f, 0.2f}, {1, 0}, {}, 0.5);
  EXPECT_DOUBLE_EQ(Precision(none), 0.0);
  EXPECT_DOUBLE_EQ(Recall(none), 0.0);
  EXPECT_DOUBLE_EQ(F1(none), 0.0);
  // No positives and none predicted: every ratio 0.
  const BinaryCounts negatives = Confusion({0.1f, 0.2f}, {0, 0}, {}, 0.5);
  EXPECT_DOUBLE_EQ(Recall(negatives), 0.0);
  EXPECT_DOUBLE_EQ(F1(negatives), 0.0);
  // No rows at all: NaN.
  EXPECT_TRUE(std::isnan(Precision(Confusion({}, {}, {}, 0.5))));
}

TEST(Calibration, BinsAsNumpySearchsorted) {
  // 0 and 1/16 go to [0, 0.1]; 0.5 (an inner edge) to [0.4, 0.5]; 0.55 to (0.5, 0.6]; 1 to the
  // last bin. Bins 1..3 and 6..8 are empty and omitted.
  const std::vector<float> p = {0.0f, 0.0625f, 0.5f, 0.55f, 1.0f, 0.95f};
  const std::vector<float> y = {0, 1, 1, 0, 1, 1};
  const std::vector<float> w = {1, 3, 1, 1, 2, 2};
  const auto bins = CalibrationBins(p, y, w, 10);
  ASSERT_EQ(bins.size(), 4u);
  EXPECT_DOUBLE_EQ(bins[0].lower, 0.0);
  EXPECT_DOUBLE_EQ(bins[0].upper, 0.1);
  EXPECT_EQ(bins[0].rows, 2);
  EXPECT_DOUBLE_EQ(bins[0].weight, 4.0);
  EXPECT_DOUBLE_EQ(bins[0].mean_predicted, 3 * 0.0625 / 4);
  EXPECT_DOUBLE_EQ(bins[0].fraction_positive, 0.75);
  EXPECT_DOUBLE_EQ(bins[1].lower, 0.4);
  EXPECT_DOUBLE_EQ(bins[1].upper, 0.5);
  EXPECT_EQ(bins[1].rows, 1);
  EXPECT_DOUBLE_EQ(bins[2].lower, 0.5);
  EXPECT_EQ(bins[2].rows, 1);
  EXPECT_DOUBLE_EQ(bins[3].upper, 1.0);
  EXPECT_EQ(bins[3].rows, 2);
  EXPECT_NEAR(bins[3].mean_predicted, (2.0 + 2 * double{0.95f}) / 4, 1e-15);
  double ece = 0.0;
  for (const auto& b : bins)
    ece += b.weight / 10.0 * std::abs(b.fraction_positive - b.mean_predicted);
  EXPECT_NEAR(ExpectedCalibrationError(p, y, w, 10), ece, 1e-15);
}

TEST(Calibration, ZeroWeightBinsAreOmittedAndPerfectIsZero) {
  const auto bins = CalibrationBins({0.25f, 0.75f, 0.75f}, {0, 1, 0}, {1, 0, 0}, 4);
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_DOUBLE_EQ(bins[0].upper, 0.25);
  EXPECT_DOUBLE_EQ(ExpectedCalibrationError({0.0f, 1.0f}, {0, 1}), 0.0);
  EXPECT_THROW(CalibrationBins({1.5f}, {1}), Error);
  EXPECT_TRUE(std::isnan(ExpectedCalibrationError({}, {})));
  // The float 0.1f lies above the edge 0.1 (as double), so it goes to (0.1, 0.2].
  EXPECT_DOUBLE_EQ(CalibrationBins({0.1f}, {1}, {}, 10)[0].lower, 0.1);
}

}  // namespace
}  // namespace freshet
