// Expected value at a threshold and top-fraction metrics against hand-computed values.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {
namespace {

TEST(ExpectedValue, ScalarPayoffs) {
  // Outcomes at 0.5: tp, fp, fn, tn, tp.
  const std::vector<float> p = {0.9f, 0.6f, 0.2f, 0.1f, 0.5f}, y = {1, 0, 1, 0, 1};
  const Payoff pay{{10}, {-2}, {-5}, {0}};
  EXPECT_DOUBLE_EQ(ExpectedValue(p, y, {}, 0.5, pay), (10 - 2 - 5 + 0 + 10) / 5.0);
  EXPECT_DOUBLE_EQ(ExpectedValue(p, y, {1, 2, 1, 1, 0}, 0.5, pay), (10 - 4 - 5 + 0) / 5.0);
  // At 0.95 nothing is acted on: fn, tn, fn, tn, fn.
  EXPECT_DOUBLE_EQ(ExpectedValue(p, y, {}, 0.95, pay), -15 / 5.0);
}

TEST(ExpectedValue, PerRowPayoffs) {
  const std::vector<float> p = {0.9f, 0.6f, 0.2f}, y = {1, 0, 1};
  const Payoff pay{{1, 2, 3}, {-1, -2, -3}, {-10, -20, -30}, {0}};
  EXPECT_DOUBLE_EQ(ExpectedValue(p, y, {}, 0.5, pay), (1 - 2 - 30) / 3.0);
  EXPECT_THROW(ExpectedValue(p, y, {}, 0.5, Payoff{{1, 2}, {0}, {0}, {0}}), Error);
  EXPECT_TRUE(std::isnan(ExpectedValue({}, {}, {}, 0.5, Payoff{{1}, {0}, {0}, {0}})));
}

TEST(TopFraction, TiesBrokenByRowIndex) {
  // Descending with ties by row: rows 1 (0.9), 0 (0.8), 3 (0.8), 2 (0.5), 4 (0.1).
  const std::vector<float> s = {0.8f, 0.9f, 0.5f, 0.8f, 0.1f}, y = {0, 1, 1, 1, 1};
  const TopFraction t = TopFractionMetrics(s, y, {}, 0.4);  // ceil(2) = 2 rows: 1 and 0
  EXPECT_EQ(t.rows, 2);
  EXPECT_DOUBLE_EQ(t.precision, 0.5);
  EXPECT_DOUBLE_EQ(t.recall, 0.25);
  EXPECT_DOUBLE_EQ(t.lift, 0.5 / 0.8);
  const TopFraction u = TopFractionMetrics(s, y, {}, 0.5);  // ceil(2.5) = 3: rows 1, 0, 3
  EXPECT_EQ(u.rows, 3);
  EXPECT_DOUBLE_EQ(u.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(u.recall, 0.5);
}

TEST(TopFraction, WeightedAllAndNan) {
  const std::vector<float> s = {0.8f, 0.9f, NAN, 0.3f}, y = {0, 1, 1, 0};
  const std::vector<float> w = {2, 1, 3, 4};
  // NaN last: top 3 = rows 1, 0, 3.
  const TopFraction t = TopFractionMetrics(s, y, w, 0.75);
  EXPECT_EQ(t.rows, 3);
  EXPECT_DOUBLE_EQ(t.precision, 1.0 / 7.0);
  EXPECT_DOUBLE_EQ(t.recall, 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(t.lift, (1.0 / 7.0) / (4.0 / 10.0));
  const TopFraction all = TopFractionMetrics(s, y, w, 1.0);
  EXPECT_EQ(all.rows, 4);
  EXPECT_DOUBLE_EQ(all.recall, 1.0);
  EXPECT_DOUBLE_EQ(all.lift, 1.0);
  EXPECT_TRUE(std::isnan(TopFractionMetrics(s, {0, 0, 0, 0}, w, 0.5).recall));
  EXPECT_THROW(TopFractionMetrics(s, y, w, 0.0), Error);
  EXPECT_THROW(TopFractionMetrics(s, y, w, 1.5), Error);
  EXPECT_EQ(TopFractionMetrics({}, {}, {}, 0.5).rows, 0);
}

}  // namespace
}  // namespace freshet
