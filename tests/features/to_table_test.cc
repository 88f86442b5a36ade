// StateColumns and TransformToTable (src/features/to_table.cc).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "features/feature_state_util.h"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "kernels/xxhash64.h"

namespace freshet {
namespace {

using testing::StandardizedState;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

CategoricalState Hash(const std::string& column, int64_t buckets, uint64_t seed,
                      std::vector<std::string> inputs = {}) {
  CategoricalState s;
  s.column = column;
  s.inputs = std::move(inputs);
  s.buckets = buckets;
  s.seed = seed;
  return s;
}

std::vector<std::pair<std::string, ColumnKind>> Pairs(const std::vector<ColumnRequest>& cols) {
  std::vector<std::pair<std::string, ColumnKind>> out;
  for (const auto& c : cols) out.emplace_back(c.name, c.kind);
  return out;
}

TEST(StateColumnsTest, EmptyState) { EXPECT_TRUE(StateColumns(FeatureState{}).empty()); }

TEST(StateColumnsTest, NumericThenCategoricalEachOnce) {
  FeatureState st;
  st.numeric = {StandardizedState("age", 0, 0, 1), StandardizedState("income", 0, 0, 1),
                StandardizedState("age", 0, 0, 1)};
  st.categorical = {Hash("country", 8, 0), Hash("plan_x_country", 8, 0, {"plan", "country"}),
                    Hash("device_x_plan", 8, 0, {"device", "plan"}), Hash("plan", 8, 1)};
  using P = std::pair<std::string, ColumnKind>;
  EXPECT_EQ(Pairs(StateColumns(st)), (std::vector<P>{{"age", ColumnKind::kNumeric},
                                                     {"income", ColumnKind::kNumeric},
                                                     {"country", ColumnKind::kCategorical},
                                                     {"plan", ColumnKind::kCategorical},
                                                     {"device", ColumnKind::kCategorical}}));
}

TEST(StateColumnsTest, CrossOutputNameIsNotAnInput) {
  FeatureState st;
  st.categorical = {Hash("a_x_b", 8, 0, {"a", "b"})};
  using P = std::pair<std::string, ColumnKind>;
  EXPECT_EQ(Pairs(StateColumns(st)),
            (std::vector<P>{{"a", ColumnKind::kCategorical}, {"b", ColumnKind::kCategorical}}));
}

TEST(StateColumnsTest, ANumericColumnUsedAsCategoricalKeepsItsFirstKind) {
  FeatureState st;
  st.numeric = {StandardizedState("code", 0, 0, 1)};
  st.categorical = {Hash("code", 8, 0)};
  const auto cols = StateColumns(st);
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_EQ(cols[0].name, "code");
  EXPECT_EQ(cols[0].kind, ColumnKind::kNumeric);
}

int64_t HashIndex(const std::string& s, const CategoricalState& st) {
  if (s.empty()) return 0;
  return 2 + static_cast<int64_t>(kernels::Xxh64(s.data(), s.size(), st.seed) %
                                  static_cast<uint64_t>(st.buckets));
}

// x: standardised with an indicator; y: bucketised; city: hashed.
FeatureState TestState() {
  FeatureState st;
  st.numeric = {StandardizedState("x", 10.0, 2.0, 0.5), StandardizedState("y", 0.0, 0.0, 1.0)};
  st.numeric[0].indicator = true;
  st.numeric[1].scaling = "none";
  st.numeric[1].bucketize = true;
  st.numeric[1].boundaries = {0.0, 5.0};
  st.categorical = {Hash("city", 13, 42)};
  return st;
}

Table TestTable(const std::vector<double>& x, const std::vector<double>& y,
                const std::vector<std::string>& city) {
  Table t;
  t.columns.push_back(NumericColumn("x", DType::kF64, x));
  t.columns.push_back(NumericColumn("y", DType::kF64, y));
  t.columns.push_back(StringColumn("city", city));
  return t;
}

TEST(TransformToTableTest, ColumnsAreTheNamedOutputs) {
  const FeatureState st = TestState();
  const Table in = TestTable({4.0, kNan, -6.0}, {-1.0, 5.0, 7.5}, {"oslo", "", "rome"});
  const Table out = TransformToTable(in, st, Device{});
  ASSERT_EQ(out.columns.size(), 4u);
  const std::vector<std::string> names = {"x", "x_missing", "y_bucket", "city"};
  for (size_t j = 0; j < names.size(); ++j) {
    EXPECT_EQ(out.columns[j].name, names[j]);
    EXPECT_EQ(out.columns[j].rows, 3);
    EXPECT_EQ(out.columns[j].dtype, j < 2 ? DType::kF32 : DType::kI64) << names[j];
    EXPECT_TRUE(out.columns[j].valid.empty());
  }
  EXPECT_EQ(st.dense_names(), (std::vector<std::string>{"x", "x_missing"}));
  EXPECT_EQ(st.categorical_names(), (std::vector<std::string>{"y_bucket", "city"}));

  const float* x = out.columns[0].values<float>();
  EXPECT_FLOAT_EQ(x[0], (4.0 - 2.0) * 0.5);
  EXPECT_FLOAT_EQ(x[1], (10.0 - 2.0) * 0.5);  // missing → fill
  EXPECT_FLOAT_EQ(x[2], (-6.0 - 2.0) * 0.5);
  const float* miss = out.columns[1].values<float>();
  EXPECT_EQ(std::vector<float>(miss, miss + 3), (std::vector<float>{0, 1, 0}));
  const int64_t* bucket = out.columns[2].values<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(bucket, bucket + 3), (std::vector<int64_t>{2, 4, 4}));
  const int64_t* city = out.columns[3].values<int64_t>();
  EXPECT_EQ(city[0], HashIndex("oslo", st.categorical[0]));
  EXPECT_EQ(city[1], 0);
  EXPECT_EQ(city[2], HashIndex("rome", st.categorical[0]));
}

TEST(TransformToTableTest, MatchesTheRowMajorTransform) {
  const FeatureState st = TestState();
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01(0.0, 3.0);
  std::uniform_int_distribution<int> pick(0, 5);
  const int64_t n = 1000;
  std::vector<double> x(n), y(n);
  std::vector<std::string> city(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = i % 17 == 0 ? kNan : n01(rng);
    y[i] = n01(rng);
    city[i] = pick(rng) == 0 ? "" : "c" + std::to_string(pick(rng));
  }
  const Table in = TestTable(x, y, city);
  const int64_t d = st.dense_dim(), c = st.categorical_dim();
  std::vector<float> dense(n * d);
  std::vector<int64_t> cats(n * c);
  TransformFeatures(in, st, Device{}, dense.data(), cats.data(), nullptr);
  const Table out = TransformToTable(in, st, Device{});
  ASSERT_EQ(out.columns.size(), static_cast<size_t>(d + c));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      ASSERT_EQ(out.columns[j].values<float>()[i], dense[i * d + j]) << i << "," << j;
    }
    for (int64_t k = 0; k < c; ++k) {
      ASSERT_EQ(out.columns[d + k].values<int64_t>()[i], cats[i * c + k]) << i << "," << k;
    }
  }
}

TEST(TransformToTableTest, ZeroRowsGiveEmptyColumns) {
  const Table out = TransformToTable(TestTable({}, {}, {}), TestState(), Device{});
  ASSERT_EQ(out.columns.size(), 4u);
  EXPECT_EQ(out.rows(), 0);
  for (const auto& col : out.columns) EXPECT_TRUE(col.data.empty()) << col.name;
}

TEST(TransformToTableTest, EmptyStateGivesNoColumns) {
  const Table out = TransformToTable(TestTable({1.0}, {2.0}, {"a"}), FeatureState{}, Device{});
  EXPECT_TRUE(out.columns.empty());
}

TEST(TransformToTableTest, MissingColumnIsADataError) {
  Table in = TestTable({1.0}, {2.0}, {"a"});
  in.columns.erase(in.columns.begin() + 1);
  try {
    TransformToTable(in, TestState(), Device{});
    FAIL() << "a table without y was transformed";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("\"y\""), std::string::npos) << e.what();
  }
}

TEST(TransformToTableTest, CudaDeviceAgreesWithCpuOrIsRefused) {
  const FeatureState st = TestState();
  const Table in = TestTable({1.0, kNan, 3.0}, {0.0, 9.0, -2.0}, {"a", "b", ""});
  const Device cuda{DeviceKind::kCuda, 0};
  if (!BuiltWithCuda()) {
    try {
      TransformToTable(in, st, cuda);
      FAIL() << "a CPU-only build ran a CUDA transform";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("without CUDA"), std::string::npos) << e.what();
    }
    return;
  }
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  const Table gpu = TransformToTable(in, st, cuda);
  const Table cpu = TransformToTable(in, st, Device{});
  ASSERT_EQ(gpu.columns.size(), cpu.columns.size());
  for (size_t j = 0; j < cpu.columns.size(); ++j) {
    EXPECT_EQ(gpu.columns[j].name, cpu.columns[j].name);
    ASSERT_EQ(gpu.columns[j].dtype, cpu.columns[j].dtype);
    for (int64_t i = 0; i < cpu.rows(); ++i) {
      // Both compute in double and round once to float32; allow one float ulp.
      EXPECT_NEAR(gpu.columns[j].as_double(i), cpu.columns[j].as_double(i),
                  1e-6 * std::max(1.0, std::fabs(cpu.columns[j].as_double(i))))
          << cpu.columns[j].name << " row " << i;
    }
  }
}

}  // namespace
}  // namespace freshet
