// FitFeatures: fill values and standardisation statistics, checked against values computed by hand
// or by a plain two-pass double computation in the test.
#include <stdlib.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/scoped_threads.h"
#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"

namespace freshet {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

Column F64(const std::string& name, const std::vector<double>& v) {
  return NumericColumn(name, DType::kF64, v);
}

Table OneColumn(Column c) {
  Table t;
  t.columns.push_back(std::move(c));
  return t;
}

FeatureOp Fill(FeatureOp::Fill how, double constant = 0.0) {
  FeatureOp op;
  op.kind = FeatureOp::Kind::kFill;
  op.fill = how;
  op.constant = constant;
  return op;
}

FeatureOp Standardize() {
  FeatureOp op;
  op.kind = FeatureOp::Kind::kStandardize;
  return op;
}

FeatureOp Hash(int64_t buckets, uint64_t seed) {
  FeatureOp op;
  op.kind = FeatureOp::Kind::kHash;
  op.buckets = buckets;
  op.seed = seed;
  return op;
}

FeatureSpec Spec(const std::string& column, ColumnKind type, std::vector<FeatureOp> ops) {
  FeatureSpec spec;
  spec.column = column;
  spec.type = type;
  spec.ops = std::move(ops);
  return spec;
}

FeatureSpec Numeric(const std::string& column, std::vector<FeatureOp> ops) {
  return Spec(column, ColumnKind::kNumeric, std::move(ops));
}

using testing::ScopedThreads;

NumericState FitOne(const Column& col, std::vector<FeatureOp> ops) {
  const FeatureState s = FitFeatures(OneColumn(col), {Numeric(col.name, std::move(ops))});
  EXPECT_EQ(s.numeric.size(), 1u);
  EXPECT_TRUE(s.categorical.empty());
  return s.numeric.at(0);
}

// Population mean and standard deviation (ddof 0) by two passes in double.
void TwoPass(const std::vector<double>& v, double* mean, double* stddev) {
  double sum = 0.0;
  for (double x : v) sum += x;
  *mean = sum / static_cast<double>(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - *mean) * (x - *mean);
  *stddev = std::sqrt(ss / static_cast<double>(v.size()));
}

TEST(FitNumeric, MeanFillIgnoresMissingValues) {
  const NumericState s = FitOne(F64("x", {1, kNan, 3, 8}), {Fill(FeatureOp::Fill::kMean)});
  EXPECT_EQ(s.column, "x");
  EXPECT_DOUBLE_EQ(s.fill_value, 4.0);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.missing, 1);
  // Not standardised: a plain fill.
  EXPECT_EQ(s.scaling, "none");
  EXPECT_EQ(s.shift, 0.0);
  EXPECT_EQ(s.scale, 1.0);
  // The statistics of the filled values (1 4 3 8) are recorded all the same.
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  EXPECT_NEAR(s.stddev, std::sqrt(6.5), 1e-12);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 8.0);
}

TEST(FitNumeric, MedianFillOddCount) {
  const NumericState odd = FitOne(F64("x", {5, 1, kNan, 3}), {Fill(FeatureOp::Fill::kMedian)});
  EXPECT_DOUBLE_EQ(odd.fill_value, 3.0);
  const NumericState skewed =
      FitOne(F64("x", {-7, 1000, 2, 2.5, 9}), {Fill(FeatureOp::Fill::kMedian)});
  EXPECT_DOUBLE_EQ(skewed.fill_value, 2.5);
}

TEST(FitNumeric, MedianFillEvenCountAveragesTheMiddleTwo) {
  EXPECT_DOUBLE_EQ(FitOne(F64("x", {4, 1, 3, 10}), {Fill(FeatureOp::Fill::kMedian)}).fill_value,
                   3.5);
  EXPECT_DOUBLE_EQ(FitOne(F64("x", {9, -1}), {Fill(FeatureOp::Fill::kMedian)}).fill_value, 4.0);
  EXPECT_DOUBLE_EQ(
      FitOne(F64("x", {6, 6, 2, 2, 8, 1}), {Fill(FeatureOp::Fill::kMedian)}).fill_value, 4.0);
  // Present: 1 3 5 100.
  EXPECT_DOUBLE_EQ(
      FitOne(F64("x", {5, 1, kNan, 3, kNan, 100}), {Fill(FeatureOp::Fill::kMedian)}).fill_value,
      4.0);
}

TEST(FitNumeric, MedianMatchesSortOnRandomData) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(10.0, 4.0);
  for (int n : {1, 2, 3, 10, 11, 200, 201}) {
    std::vector<double> v(n), present;
    for (auto& x : v) {
      x = rng() % 5 == 0 ? kNan : normal(rng);
      if (!std::isnan(x)) present.push_back(x);
    }
    std::sort(present.begin(), present.end());
    const size_t m = present.size();
    const double expected = m == 0  ? 0.0
                            : m % 2 ? present[m / 2]
                                    : (present[m / 2 - 1] + present[m / 2]) / 2.0;
    EXPECT_DOUBLE_EQ(FitOne(F64("x", v), {Fill(FeatureOp::Fill::kMedian)}).fill_value, expected)
        << "n = " << n;
  }
}

TEST(FitNumeric, ConstantFill) {
  const NumericState s =
      FitOne(F64("x", {kNan, 2, kNan}), {Fill(FeatureOp::Fill::kConstant, -7.25)});
  EXPECT_DOUBLE_EQ(s.fill_value, -7.25);
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.missing, 2);
}

TEST(FitNumeric, StandardizeUsesFilledValuesWithMeanFill) {
  // Filled: 1 4 3 8 → mean 4, population variance (9 + 0 + 1 + 16) / 4 = 6.5.
  const NumericState s =
      FitOne(F64("x", {1, kNan, 3, 8}), {Fill(FeatureOp::Fill::kMean), Standardize()});
  EXPECT_EQ(s.scaling, "standardize");
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  EXPECT_DOUBLE_EQ(s.shift, 4.0);
  EXPECT_NEAR(s.stddev, std::sqrt(6.5), 1e-12);
  EXPECT_NEAR(s.scale, 1.0 / std::sqrt(6.5), 1e-12);
}

TEST(FitNumeric, StandardizeUsesFilledValuesWithConstantFill) {
  // Filled: 1 0 3 8 → mean 3, variance (4 + 9 + 0 + 25) / 4 = 9.5.
  const NumericState s =
      FitOne(F64("x", {1, kNan, 3, 8}), {Fill(FeatureOp::Fill::kConstant, 0.0), Standardize()});
  EXPECT_DOUBLE_EQ(s.fill_value, 0.0);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_DOUBLE_EQ(s.shift, 3.0);
  EXPECT_NEAR(s.stddev, std::sqrt(9.5), 1e-12);
  EXPECT_NEAR(s.scale, 1.0 / std::sqrt(9.5), 1e-12);
}

TEST(FitNumeric, StandardizeUsesFilledValuesWithMedianFill) {
  // Median of 1 3 8 is 3; filled: 1 3 3 8 → mean 3.75, variance 26.75 / 4.
  const NumericState s =
      FitOne(F64("x", {1, kNan, 3, 8}), {Fill(FeatureOp::Fill::kMedian), Standardize()});
  EXPECT_DOUBLE_EQ(s.fill_value, 3.0);
  EXPECT_DOUBLE_EQ(s.shift, 3.75);
  EXPECT_NEAR(s.stddev, std::sqrt(26.75 / 4.0), 1e-12);
  EXPECT_NEAR(s.scale, 1.0 / std::sqrt(26.75 / 4.0), 1e-12);
}

TEST(FitNumeric, ZeroStddevCentresOnly) {
  const NumericState s =
      FitOne(F64("x", {5, 5, kNan, 5}), {Fill(FeatureOp::Fill::kMean), Standardize()});
  EXPECT_EQ(s.scaling, "standardize");
  EXPECT_DOUBLE_EQ(s.shift, 5.0);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.scale, 1.0);
}

TEST(FitNumeric, AllMissingColumn) {
  const Column col = F64("x", {kNan, kNan, kNan});
  const NumericState mean = FitOne(col, {Fill(FeatureOp::Fill::kMean), Standardize()});
  EXPECT_EQ(mean.fill_value, 0.0);
  EXPECT_EQ(mean.shift, 0.0);
  EXPECT_EQ(mean.stddev, 0.0);
  EXPECT_EQ(mean.scale, 1.0);
  EXPECT_EQ(mean.count, 0);
  EXPECT_EQ(mean.missing, 3);
  EXPECT_TRUE(std::isfinite(mean.scale));

  const NumericState median = FitOne(col, {Fill(FeatureOp::Fill::kMedian), Standardize()});
  EXPECT_EQ(median.fill_value, 0.0);
  EXPECT_EQ(median.scale, 1.0);

  const NumericState constant = FitOne(col, {Fill(FeatureOp::Fill::kConstant, 3.5), Standardize()});
  EXPECT_EQ(constant.fill_value, 3.5);
  EXPECT_EQ(constant.shift, 3.5);
  EXPECT_EQ(constant.scale, 1.0);
}

TEST(FitNumeric, SingleRow) {
  const NumericState s = FitOne(F64("x", {2.5}), {Fill(FeatureOp::Fill::kMedian), Standardize()});
  EXPECT_EQ(s.fill_value, 2.5);
  EXPECT_EQ(s.shift, 2.5);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.scale, 1.0);
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.missing, 0);
}

TEST(FitNumeric, EmptyColumn) {
  const NumericState s = FitOne(F64("x", {}), {Fill(FeatureOp::Fill::kMean), Standardize()});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.missing, 0);
  EXPECT_EQ(s.fill_value, 0.0);
  EXPECT_EQ(s.scale, 1.0);
}

TEST(FitNumeric, EveryDtypeGivesTheSameState) {
  // Values 3 -1 (missing) 10 6; the missing row is NaN for floats and masked for integers.
  const std::vector<uint8_t> mask = {1, 1, 0, 1, 1};
  const std::vector<Column> cols = {
      NumericColumn<float>("x", DType::kF32, {3, -1, std::nanf(""), 10, 6}),
      NumericColumn<double>("x", DType::kF64, {3, -1, kNan, 10, 6}),
      NumericColumn<int32_t>("x", DType::kI32, {3, -1, 12345, 10, 6}, mask),
      NumericColumn<int64_t>("x", DType::kI64, {3, -1, -999, 10, 6}, mask),
  };
  // Present: 3 -1 10 6 → mean 4.5; filled: 3 -1 4.5 10 6 → variance (2.25 + 30.25 + 0 + 30.25
  // + 2.25) / 5 = 13.
  for (const Column& col : cols) {
    SCOPED_TRACE(DTypeName(col.dtype));
    const NumericState s = FitOne(col, {Fill(FeatureOp::Fill::kMean), Standardize()});
    EXPECT_DOUBLE_EQ(s.fill_value, 4.5);
    EXPECT_DOUBLE_EQ(s.mean, 4.5);
    EXPECT_NEAR(s.stddev, std::sqrt(13.0), 1e-12);
    EXPECT_EQ(s.count, 4);
    EXPECT_EQ(s.missing, 1);
  }
}

TEST(FitNumeric, LargeInt64ValuesKeepTheirMagnitude) {
  const int64_t big = int64_t{1} << 40;
  const NumericState s = FitOne(NumericColumn<int64_t>("x", DType::kI64, {big, big + 2}),
                                {Fill(FeatureOp::Fill::kMean), Standardize()});
  EXPECT_DOUBLE_EQ(s.mean, static_cast<double>(big) + 1.0);
  EXPECT_DOUBLE_EQ(s.stddev, 1.0);
}

TEST(FitNumeric, NanIsMissingEvenWhenMarkedValid) {
  const NumericState s = FitOne(NumericColumn<double>("x", DType::kF64, {2, kNan, 4}, {1, 1, 1}),
                                {Fill(FeatureOp::Fill::kMean)});
  EXPECT_DOUBLE_EQ(s.fill_value, 3.0);
  EXPECT_EQ(s.count, 2);
  EXPECT_EQ(s.missing, 1);
}

TEST(FitNumeric, MaskedRowsAreMissingWhateverTheyHold) {
  const NumericState s = FitOne(NumericColumn<double>("x", DType::kF64, {2, 1e300, 4}, {1, 0, 1}),
                                {Fill(FeatureOp::Fill::kMean), Standardize()});
  EXPECT_DOUBLE_EQ(s.fill_value, 3.0);
  EXPECT_EQ(s.missing, 1);
  EXPECT_NEAR(s.stddev, std::sqrt(2.0 / 3.0), 1e-12);
}

TEST(FitNumeric, RandomColumnMatchesTwoPass) {
  std::mt19937 rng(20240611);
  std::normal_distribution<double> normal(-3.0, 50.0);
  for (int trial = 0; trial < 5; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 5000);
    std::vector<double> v(n);
    std::vector<double> present;
    for (auto& x : v) {
      x = rng() % 7 == 0 ? kNan : normal(rng);
      if (!std::isnan(x)) present.push_back(x);
    }
    double fill = 0.0, unused = 0.0;
    if (!present.empty()) TwoPass(present, &fill, &unused);
    std::vector<double> filled = v;
    for (auto& x : filled) {
      if (std::isnan(x)) x = fill;
    }
    double mean = 0.0, stddev = 0.0;
    TwoPass(filled, &mean, &stddev);

    const NumericState s = FitOne(F64("x", v), {Fill(FeatureOp::Fill::kMean), Standardize()});
    SCOPED_TRACE("n = " + std::to_string(n));
    EXPECT_EQ(s.count, static_cast<int64_t>(present.size()));
    EXPECT_EQ(s.missing, n - static_cast<int64_t>(present.size()));
    EXPECT_NEAR(s.fill_value, fill, 1e-9 * std::max(1.0, std::fabs(fill)));
    EXPECT_NEAR(s.mean, mean, 1e-9 * std::max(1.0, std::fabs(mean)));
    if (stddev > 0) {
      EXPECT_NEAR(s.stddev, stddev, 1e-9 * stddev);
      EXPECT_NEAR(s.scale, 1.0 / stddev, 1e-9 / stddev);
    } else {
      EXPECT_EQ(s.scale, 1.0);
    }
  }
}

// Chan/Welford updates keep the precision a naive sum-of-squares loses: 1e6 values near 1e9 whose
// spread is ~0.3, where E[x^2] - E[x]^2 cancels catastrophically. Run on one thread and on eight,
// so that the per-chunk moments are merged.
TEST(FitNumeric, StddevOfLargeOffsetColumnMatchesTwoPass) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> noise(-0.5, 0.5);
  std::vector<double> v(1000000);
  for (auto& x : v) x = 1e9 + noise(rng);
  double mean = 0.0, stddev = 0.0;
  TwoPass(v, &mean, &stddev);
  ASSERT_GT(stddev, 0.2);

  for (int threads : {1, 8}) {
    ScopedThreads scoped(threads);
    SCOPED_TRACE("threads = " + std::to_string(threads));
    const NumericState s = FitOne(F64("x", v), {Fill(FeatureOp::Fill::kMean), Standardize()});
    EXPECT_NEAR(s.stddev, stddev, 1e-6 * stddev);
    EXPECT_NEAR(s.scale, 1.0 / stddev, 1e-6 / stddev);
    // Both means carry rounding error of order sqrt(n) * ulp(1e9) / 2; agree to 1e-12 relative.
    EXPECT_NEAR(s.mean, mean, 1e-12 * mean);
  }
}

// The same statistics whether the rows are read in one chunk or merged from many, with missing
// values spread over the chunks and filled in afterwards.
TEST(FitNumeric, ChunkedFitMatchesSingleThreadedFit) {
  std::mt19937 rng(31337);
  std::normal_distribution<double> normal(250.0, 80.0);
  std::vector<double> v(400000);
  for (auto& x : v) x = rng() % 9 == 0 ? kNan : normal(rng);
  NumericState one, many;
  {
    ScopedThreads scoped(1);
    one = FitOne(F64("x", v), {Fill(FeatureOp::Fill::kMean), Standardize()});
  }
  {
    ScopedThreads scoped(6);
    many = FitOne(F64("x", v), {Fill(FeatureOp::Fill::kMean), Standardize()});
  }
  EXPECT_EQ(one.count, many.count);
  EXPECT_EQ(one.missing, many.missing);
  EXPECT_NEAR(one.fill_value, many.fill_value, 1e-10 * std::fabs(one.fill_value));
  EXPECT_NEAR(one.mean, many.mean, 1e-10 * std::fabs(one.mean));
  EXPECT_NEAR(one.stddev, many.stddev, 1e-10 * one.stddev);
  EXPECT_EQ(one.min, many.min);
  EXPECT_EQ(one.max, many.max);
}

TEST(FitFeatures, KeepsSpecOrderAndSplitsNumericFromCategorical) {
  Table t;
  t.columns.push_back(F64("b", {1, 2}));
  t.columns.push_back(StringColumn("city", {"oslo", "rome"}));
  t.columns.push_back(F64("a", {3, 5}));
  const std::vector<FeatureSpec> specs = {
      Numeric("a", {Fill(FeatureOp::Fill::kMean)}),
      Spec("city", ColumnKind::kCategorical, {Hash(1000, 9)}),
      Numeric("b", {Fill(FeatureOp::Fill::kMean)}),
  };
  const FeatureState s = FitFeatures(t, specs);
  ASSERT_EQ(s.dense_dim(), 2);
  ASSERT_EQ(s.categorical_dim(), 1);
  EXPECT_EQ(s.numeric[0].column, "a");
  EXPECT_DOUBLE_EQ(s.numeric[0].fill_value, 4.0);
  EXPECT_EQ(s.numeric[1].column, "b");
  EXPECT_DOUBLE_EQ(s.numeric[1].fill_value, 1.5);
  EXPECT_EQ(s.categorical[0].column, "city");
  EXPECT_EQ(s.categorical[0].buckets, 1000);
  EXPECT_EQ(s.categorical[0].seed, 9u);
  EXPECT_EQ(s.categorical[0].cardinality(), 1002);
  EXPECT_EQ(s.cardinalities(), (std::vector<int64_t>{1002}));
}

TEST(FitFeatures, MissingColumnThrowsDataErrorNamingIt) {
  try {
    FitFeatures(OneColumn(F64("x", {1})), {Numeric("age", {Fill(FeatureOp::Fill::kMean)})});
    FAIL() << "no error for a missing column";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("\"age\""), std::string::npos) << e.what();
  }
}

TEST(FitFeatures, StringColumnDeclaredNumericThrowsDataError) {
  EXPECT_THROW(FitFeatures(OneColumn(StringColumn("x", {"1", "2"})),
                           {Numeric("x", {Fill(FeatureOp::Fill::kMean)})}),
               DataError);
}

TEST(FitFeatures, FloatColumnDeclaredCategoricalThrowsDataError) {
  try {
    FitFeatures(OneColumn(F64("price", {1.5, 2.5})),
                {Spec("price", ColumnKind::kCategorical, {Hash(10, 0)})});
    FAIL() << "a float column was hashed";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("\"price\""), std::string::npos) << e.what();
  }
}

TEST(FitFeatures, IntegerCodesCanBeHashed) {
  const FeatureState s =
      FitFeatures(OneColumn(NumericColumn<int32_t>("code", DType::kI32, {3, 1, 4})),
                  {Spec("code", ColumnKind::kCategorical, {Hash(7, 2)})});
  ASSERT_EQ(s.categorical.size(), 1u);
  EXPECT_EQ(s.categorical[0].encoding, "hash");
  EXPECT_TRUE(s.categorical[0].inputs.empty());
  EXPECT_EQ(s.categorical[0].cardinality(), 9);
}

TEST(FitFeatures, ThroughParsedConfig) {
  const Config c = ParseConfig(R"(
model: m
data: {landing: d, label: y}
features:
  - {column: x, type: numeric, ops: [standardize]}
  - {column: c, type: categorical, ops: [{hash: {buckets: 50, seed: 3}}]}
)",
                               "/tmp/x/cfg.yaml");
  Table t;
  t.columns.push_back(F64("x", {1, kNan, 3, 8}));
  t.columns.push_back(StringColumn("c", {"a", "b", "", "d"}));
  const FeatureState s = FitFeatures(t, c.features);
  ASSERT_EQ(s.dense_dim(), 1);
  // The mean fill the config inserted comes before standardisation.
  EXPECT_DOUBLE_EQ(s.numeric[0].fill_value, 4.0);
  EXPECT_NEAR(s.numeric[0].stddev, std::sqrt(6.5), 1e-12);
  ASSERT_EQ(s.categorical_dim(), 1);
  EXPECT_EQ(s.categorical[0].buckets, 50);
  EXPECT_EQ(s.categorical[0].seed, 3u);
}

}  // namespace
}  // namespace freshet
