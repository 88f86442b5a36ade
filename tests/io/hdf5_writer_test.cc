// WriteHdf5 → ReadHdf5 round trips, the atomic write, and write failures.
#include <dirent.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

// A string column whose empty strings are missing, as the reader reports them.
Column StringsEmptyMissing(const std::string& name, const std::vector<std::string>& values) {
  std::vector<uint8_t> valid;
  for (const auto& v : values) valid.push_back(v.empty() ? 0 : 1);
  return StringColumn(name, values, std::move(valid));
}

using testing::MessageOf;
using testing::TempDir;

// An empty value in `values` is written as missing.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (const dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      names.push_back(e->d_name);
    }
  }
  closedir(d);
  return names;
}

// Checks that `a` and `b` hold the same values bit for bit (so NaN equals NaN).
void ExpectSameColumn(const Column& a, const Column& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dtype, b.dtype) << a.name;
  ASSERT_EQ(a.rows, b.rows) << a.name;
  EXPECT_EQ(a.data, b.data) << a.name;
  if (a.is_string()) {
    EXPECT_EQ(a.bytes, b.bytes) << a.name;
    EXPECT_EQ(a.offsets, b.offsets) << a.name;
  }
  for (int64_t i = 0; i < a.rows; ++i) EXPECT_EQ(a.is_valid(i), b.is_valid(i)) << a.name << i;
}

TEST(WriteHdf5Test, EveryDtypeRoundTrips) {
  TempDir dir;
  const float nan_f = std::numeric_limits<float>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Table table;
  table.columns.push_back(NumericColumn<float>("f32", DType::kF32, {1.5f, nan_f, -0.0f, 3e38f}));
  table.columns.push_back(NumericColumn<double>("f64", DType::kF64, {0.1, -inf, 1e-300, inf}));
  table.columns.push_back(
      NumericColumn<int32_t>("i32", DType::kI32, {INT32_MIN, -1, 0, INT32_MAX}));
  table.columns.push_back(
      NumericColumn<int64_t>("i64", DType::kI64, {INT64_MIN, -1, 0, INT64_MAX}));
  table.columns.push_back(
      StringsEmptyMissing("city", {"Z\xc3\xbcrich", "", "a,b \"c\"", "\xe6\x9d\xb1"}));
  const std::string path = dir / "all.h5";
  WriteHdf5(path, table);
  const Table back = ReadHdf5(path, {{"f32", ColumnKind::kNumeric},
                                     {"f64", ColumnKind::kNumeric},
                                     {"i32", ColumnKind::kNumeric},
                                     {"i64", ColumnKind::kNumeric},
                                     {"city", ColumnKind::kCategorical}});
  ASSERT_EQ(back.columns.size(), 5u);
  for (size_t i = 0; i < 5; ++i) ExpectSameColumn(table.columns[i], back.columns[i]);
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"all.h5"});
}

TEST(WriteHdf5Test, RandomColumnsRoundTrip) {
  TempDir dir;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(-1e6, 1e6);
  for (int64_t rows : {1, 7, 1000}) {
    std::vector<double> f64(rows);
    std::vector<int64_t> i64(rows);
    std::vector<std::string> strings(rows);
    for (int64_t i = 0; i < rows; ++i) {
      f64[i] = i % 5 == 0 ? std::nan("") : uniform(rng);
      i64[i] = static_cast<int64_t>(rng());
      strings[i] = i % 4 == 0 ? "" : std::to_string(rng() % 1000);
    }
    Table table;
    table.columns.push_back(NumericColumn<double>("x", DType::kF64, f64));
    table.columns.push_back(NumericColumn<int64_t>("id", DType::kI64, i64));
    table.columns.push_back(StringsEmptyMissing("s", strings));
    const std::string path = dir / ("random-" + std::to_string(rows) + ".h5");
    WriteHdf5(path, table);
    const Table back = ReadHdf5(path, {{"s", ColumnKind::kCategorical},
                                       {"x", ColumnKind::kNumeric},
                                       {"id", ColumnKind::kNumeric}});
    ExpectSameColumn(table.columns[2], back.columns[0]);
    ExpectSameColumn(table.columns[0], back.columns[1]);
    ExpectSameColumn(table.columns[1], back.columns[2]);
  }
}

TEST(WriteHdf5Test, MissingFloatsAreWrittenAsNaN) {
  TempDir dir;
  Table table;
  table.columns.push_back(NumericColumn<double>("x", DType::kF64, {1.0, 2.0, 3.0}));
  table.columns[0].valid = {1, 0, 1};
  table.columns.push_back(NumericColumn<float>("y", DType::kF32, {1.0f, 2.0f, 3.0f}));
  table.columns[1].valid = {0, 1, 1};
  WriteHdf5(dir / "m.h5", table);
  const Table back =
      ReadHdf5(dir / "m.h5", {{"x", ColumnKind::kNumeric}, {"y", ColumnKind::kNumeric}});
  EXPECT_EQ(back.columns[0].values<double>()[0], 1.0);
  EXPECT_TRUE(std::isnan(back.columns[0].values<double>()[1]));
  EXPECT_TRUE(std::isnan(back.columns[1].values<float>()[0]));
  EXPECT_EQ(back.columns[1].values<float>()[2], 3.0f);
}

TEST(WriteHdf5Test, ZeroRowsAndOverwrite) {
  TempDir dir;
  const std::string path = dir / "t.h5";
  Table table;
  table.columns.push_back(NumericColumn<double>("x", DType::kF64, {}));
  table.columns.push_back(StringsEmptyMissing("s", {}));
  WriteHdf5(path, table);
  Table back = ReadHdf5(path, {{"x", ColumnKind::kNumeric}, {"s", ColumnKind::kCategorical}});
  EXPECT_EQ(back.rows(), 0);
  EXPECT_EQ(back.columns[1].offsets, std::vector<int64_t>{0});

  Table bigger;
  bigger.columns.push_back(NumericColumn<int32_t>("x", DType::kI32, {4, 5}));
  WriteHdf5(path, bigger);
  back = ReadHdf5(path, {{"x", ColumnKind::kNumeric}});
  ExpectSameColumn(bigger.columns[0], back.columns[0]);
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"t.h5"});
}

TEST(WriteHdf5Test, MissingFolderIsAnIoError) {
  TempDir dir;
  Table table;
  table.columns.push_back(NumericColumn<double>("x", DType::kF64, {1.0}));
  const std::string path = dir / "no/such/folder/t.h5";
  const std::string msg = MessageOf<IoError>([&] { WriteHdf5(path, table); });
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  EXPECT_TRUE(Listing(dir.path()).empty());
}

TEST(WriteHdf5Test, FailedWriteLeavesNoTemporaryFile) {
  TempDir dir;
  Table table;
  table.columns.push_back(NumericColumn<double>("x", DType::kF64, {1.0}));
  table.columns.push_back(NumericColumn<double>("x", DType::kF64, {2.0}));  // a duplicate name
  const std::string path = dir / "t.h5";
  const std::string msg = MessageOf<IoError>([&] { WriteHdf5(path, table); });
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find("column \"x\""), std::string::npos) << msg;
  EXPECT_TRUE(Listing(dir.path()).empty());
}

}  // namespace
}  // namespace freshet
