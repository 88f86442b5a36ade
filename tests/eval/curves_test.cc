// ROC and precision-recall curves against sklearn's docstring examples, weights and thinning.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "eval/metrics_internal.h"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {
namespace {

void ExpectPoints(const std::vector<CurvePoint>& got, const std::vector<CurvePoint>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].x, want[i].x, 1e-12) << "point " << i;
    EXPECT_NEAR(got[i].y, want[i].y, 1e-12) << "point " << i;
  }
}

const std::vector<float> kScores = {0.1f, 0.4f, 0.35f, 0.8f};
const std::vector<float> kLabels = {0, 0, 1, 1};

// The radix sort's order is std::sort's with (score descending, row ascending): ties, both signs,
// -0 and +0, and rows of zero weight left out.
TEST(Curves, DescendingOrderIsTheSortedOrder) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> scores(5000), weights(5000);
  for (size_t i = 0; i < scores.size(); ++i) {
    scores[i] = i % 3 == 0 ? std::round(g(rng) * 4) / 4 : g(rng) * 1e3f;
    weights[i] = static_cast<float>(rng() % 4);
  }
  scores[10] = -0.0f;
  scores[11] = 0.0f;
  scores[12] = -0.0f;
  for (bool weighted : {false, true}) {
    const std::vector<float> w = weighted ? weights : std::vector<float>{};
    std::vector<uint32_t> want;
    for (uint32_t i = 0; i < scores.size(); ++i) {
      if (!weighted || weights[i] > 0) want.push_back(i);
    }
    std::sort(want.begin(), want.end(), [&](uint32_t a, uint32_t b) {
      return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
    });
    EXPECT_EQ(metrics_internal::DescendingOrder(scores, w), want) << weighted;
  }
  EXPECT_TRUE(metrics_internal::DescendingOrder({}, {}).empty());
}

TEST(RocCurve, SklearnExample) {
  // roc_curve(y, s, drop_intermediate=False): thresholds inf, 0.8, 0.4, 0.35, 0.1.
  ExpectPoints(RocCurve(kScores, kLabels), {{0, 0}, {0, 0.5}, {0.5, 0.5}, {0.5, 1}, {1, 1}});
}

TEST(PrCurve, SklearnExampleInIncreasingRecall) {
  // precision_recall_curve: precision [0.5, 2/3, 0.5, 1, 1], recall [1, 1, 0.5, 0.5, 0], reversed.
  ExpectPoints(PrCurve(kScores, kLabels), {{0, 1}, {0.5, 1}, {0.5, 0.5}, {1, 2.0 / 3.0}, {1, 0.5}});
}

TEST(Curves, TiesAreOneThreshold) {
  const std::vector<float> s = {0.5f, 0.5f, 0.5f, 0.2f}, y = {1, 0, 1, 0};
  ExpectPoints(RocCurve(s, y), {{0, 0}, {0.5, 1}, {1, 1}});
  ExpectPoints(PrCurve(s, y), {{0, 1}, {1, 2.0 / 3.0}, {1, 0.5}});
}

TEST(Curves, WeightedAndZeroWeightRowsLeftOut) {
  // The row at 0.6 has weight 0: no threshold of its own.
  const std::vector<float> s = {0.9f, 0.6f, 0.4f, 0.2f}, y = {1, 1, 0, 1};
  const std::vector<float> w = {2, 0, 1, 2};
  ExpectPoints(RocCurve(s, y, w), {{0, 0}, {0, 0.5}, {1, 0.5}, {1, 1}});
  ExpectPoints(PrCurve(s, y, w), {{0, 1}, {0.5, 1}, {0.5, 2.0 / 3.0}, {1, 0.8}});
}

TEST(Curves, OneClassIsEmpty) {
  EXPECT_TRUE(RocCurve({0.1f, 0.2f}, {1, 1}).empty());
  EXPECT_TRUE(PrCurve({0.1f, 0.2f}, {0, 0}).empty());
  EXPECT_TRUE(RocCurve({}, {}).empty());
  EXPECT_TRUE(RocCurve({0.1f, NAN}, {1, 0}).empty());
}

TEST(Curves, ThinnedKeepsEndsAndOrder) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> s(5000), y(5000);
  for (size_t i = 0; i < s.size(); ++i) {
    y[i] = uniform(rng) < 0.3f ? 1.0f : 0.0f;
    s[i] = uniform(rng) + 0.5f * y[i];
  }
  const auto full = RocCurve(s, y, {}, 1u << 20);
  ASSERT_EQ(full.size(), 5001u);
  for (size_t max_points : {2u, 3u, 50u, 200u}) {
    const auto roc = RocCurve(s, y, {}, max_points);
    ASSERT_EQ(roc.size(), max_points);
    EXPECT_EQ(roc.front().x, 0.0);
    EXPECT_EQ(roc.front().y, 0.0);
    EXPECT_EQ(roc.back().x, 1.0);
    EXPECT_EQ(roc.back().y, 1.0);
    for (size_t i = 1; i < roc.size(); ++i) {
      EXPECT_GE(roc[i].x, roc[i - 1].x);
      EXPECT_GE(roc[i].y, roc[i - 1].y);
    }
    const auto pr = PrCurve(s, y, {}, max_points);
    ASSERT_EQ(pr.size(), max_points);
    EXPECT_EQ(pr.front().x, 0.0);
    EXPECT_EQ(pr.back().x, 1.0);
    for (size_t i = 1; i < pr.size(); ++i) EXPECT_GE(pr[i].x, pr[i - 1].x);
  }
  EXPECT_THROW(RocCurve(s, y, {}, 1), Error);
}

TEST(Curves, AreasMatchTheCurves) {
  std::mt19937 rng(10);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> s(700), y(700), w(700);
  for (size_t i = 0; i < s.size(); ++i) {
    y[i] = uniform(rng) < 0.4f ? 1.0f : 0.0f;
    s[i] = std::round((uniform(rng) + 0.3f * y[i]) * 10) / 10;
    w[i] = uniform(rng) * 2;
  }
  const auto roc = RocCurve(s, y, w, 1u << 20);
  double area = 0.0;
  for (size_t i = 1; i < roc.size(); ++i) {
    area += (roc[i].x - roc[i - 1].x) * (roc[i].y + roc[i - 1].y) / 2;
  }
  EXPECT_NEAR(RocAuc(s, y, w), area, 1e-12);
  const auto pr = PrCurve(s, y, w, 1u << 20);
  double ap = 0.0;
  for (size_t i = 1; i < pr.size(); ++i) ap += (pr[i].x - pr[i - 1].x) * pr[i].y;
  EXPECT_NEAR(AveragePrecision(s, y, w), ap, 1e-12);
}

}  // namespace
}  // namespace freshet
