#include "freshet/validate.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"

namespace freshet {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Features x (numeric), z (numeric), city (categorical); label y.
Config TestConfig() {
  Config c;
  c.model = "m";
  c.data.label = "y";
  c.features.resize(3);
  c.features[0].column = "x";
  c.features[0].ops = {FeatureOp{}};
  c.features[1].column = "z";
  c.features[1].ops = {FeatureOp{}};
  c.features[2].column = "city";
  c.features[2].type = ColumnKind::kCategorical;
  return c;
}

Table TestTable(const std::vector<double>& x, const std::vector<float>& z,
                const std::vector<double>& y) {
  Table t;
  t.columns.push_back(NumericColumn("x", DType::kF64, x));
  t.columns.push_back(NumericColumn("z", DType::kF32, z));
  std::vector<std::string> cities(x.size(), "oslo");
  t.columns.push_back(StringColumn("city", cities));
  t.columns.push_back(NumericColumn("y", DType::kF64, y));
  return t;
}

std::string MessageOf(const Table& t) {
  try {
    CheckPartition(t, TestConfig(), "part-7.h5");
  } catch (const DataError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    return e.what();
  }
  ADD_FAILURE() << "CheckPartition accepted the table";
  return "";
}

void ExpectContains(const std::string& msg, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << p << " in " << msg;
}

TEST(CheckPartition, AcceptsFiniteValues) {
  EXPECT_NO_THROW(CheckPartition(TestTable({1.5, -2.0, 3e8}, {0.1f, 0.2f, -7.f}, {0, 1, 1}),
                                 TestConfig(), "p"));
}

TEST(CheckPartition, AcceptsNanAndMaskedFeatures) {
  Table t = TestTable({1.0, kNan, 2.0}, {std::nanf(""), 1.f, 2.f}, {1, 0, 1});
  EXPECT_NO_THROW(CheckPartition(t, TestConfig(), "p"));
  // A masked-out row is missing whatever it holds.
  t.columns[0].mutable_values<double>()[2] = kInf;
  t.columns[0].valid = {1, 1, 0};
  EXPECT_NO_THROW(CheckPartition(t, TestConfig(), "p"));
}

TEST(CheckPartition, RefusesPositiveInfinity) {
  const std::string msg = MessageOf(TestTable({1.0, 2.0, kInf, 3.0}, {1, 2, 3, 4}, {0, 1, 0, 1}));
  ExpectContains(msg, {"part-7.h5", "\"x\"", "row 2"});
  EXPECT_EQ(msg.rfind("part-7.h5", 0), 0u) << msg;
}

TEST(CheckPartition, RefusesNegativeInfinityInFloat32Column) {
  const std::string msg =
      MessageOf(TestTable({1.0, 2.0}, {1.f, -std::numeric_limits<float>::infinity()}, {0, 1}));
  ExpectContains(msg, {"part-7.h5", "\"z\"", "row 1"});
}

TEST(CheckPartition, IgnoresCategoricalColumns) {
  // "inf" is a fine city name.
  Table t = TestTable({1.0}, {1.f}, {1});
  t.columns[2] = StringColumn("city", {"inf"});
  EXPECT_NO_THROW(CheckPartition(t, TestConfig(), "p"));
}

TEST(CheckPartition, RefusesMissingLabel) {
  const std::string msg = MessageOf(TestTable({1, 2, 3}, {1, 2, 3}, {0, kNan, 1}));
  ExpectContains(msg, {"part-7.h5", "\"y\"", "row 1", "missing"});
}

TEST(CheckPartition, RefusesMaskedLabel) {
  Table t = TestTable({1, 2, 3}, {1, 2, 3}, {0, 1, 1});
  t.columns[3].valid = {1, 1, 0};
  ExpectContains(MessageOf(t), {"\"y\"", "row 2", "missing"});
}

TEST(CheckPartition, RefusesNonBinaryLabel) {
  const std::string msg = MessageOf(TestTable({1, 2, 3}, {1, 2, 3}, {0, 1, 2}));
  ExpectContains(msg, {"part-7.h5", "\"y\"", "row 2", "got 2"});
  ExpectContains(MessageOf(TestTable({1}, {1}, {0.5})), {"row 0", "got 0.5"});
  ExpectContains(MessageOf(TestTable({1}, {1}, {-1})), {"row 0", "got -1"});
}

TEST(CheckPartition, AcceptsIntegerLabels) {
  Table t = TestTable({1, 2}, {1, 2}, {0, 0});
  t.columns[3] = NumericColumn<int32_t>("y", DType::kI32, {1, 0});
  EXPECT_NO_THROW(CheckPartition(t, TestConfig(), "p"));
  t.columns[3] = NumericColumn<int64_t>("y", DType::kI64, {1, 3});
  ExpectContains(MessageOf(t), {"row 1", "got 3"});
}

TEST(CheckPartition, EmptyPartitionPasses) {
  EXPECT_NO_THROW(CheckPartition(TestTable({}, {}, {}), TestConfig(), "p"));
}

}  // namespace
}  // namespace freshet
