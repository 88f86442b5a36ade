// WriteCsv and WriteTable: the text written, round trips through ReadCsv, and failures.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::MessageOf;
using testing::ReadFile;
using testing::TempDir;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> Strings(const Column& c) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < c.rows; ++i) {
    out.emplace_back(c.bytes.data() + c.offsets[i], c.bytes.data() + c.offsets[i + 1]);
  }
  return out;
}

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

std::string Written(const Table& t) {
  TempDir dir;
  WriteCsv(dir / "t.csv", t);
  return ReadFile(dir / "t.csv");
}

TEST(WriteCsvTest, HeaderAndEveryDtype) {
  Table t;
  t.columns.push_back(NumericColumn<float>("f", DType::kF32, {0.1f, -2.5f}));
  t.columns.push_back(NumericColumn<double>("d", DType::kF64, {0.1, 1e300}));
  t.columns.push_back(NumericColumn<int32_t>("i", DType::kI32, {-2147483647 - 1, 7}));
  t.columns.push_back(
      NumericColumn<int64_t>("l", DType::kI64, {std::numeric_limits<int64_t>::max(), 0}));
  t.columns.push_back(StringColumn("s", {"oslo", "rome"}));
  EXPECT_EQ(Written(t),
            "f,d,i,l,s\n"
            "0.1,0.1,-2147483648,9223372036854775807,oslo\n"
            "-2.5,1e+300,7,0,rome\n");
}

TEST(WriteCsvTest, QuotesFieldsThatNeedIt) {
  Table t;
  t.columns.push_back(StringColumn(
      "note, \"quoted\"", {"a,b", "say \"hi\"", "two\nlines", "cr\rhere", "plain", " spaced "}));
  EXPECT_EQ(Written(t),
            "\"note, \"\"quoted\"\"\"\n"
            "\"a,b\"\n"
            "\"say \"\"hi\"\"\"\n"
            "\"two\nlines\"\n"
            "\"cr\rhere\"\n"
            "plain\n"
            " spaced \n");
}

TEST(WriteCsvTest, MissingValuesAreEmptyFields) {
  Table t;
  t.columns.push_back(NumericColumn<double>("d", DType::kF64, {kNan, 1.0, 2.0}, {1, 1, 0}));
  t.columns.push_back(
      NumericColumn<float>("f", DType::kF32, {std::numeric_limits<float>::quiet_NaN(), 3, 4}));
  t.columns.push_back(NumericColumn<int32_t>("i", DType::kI32, {5, 6, 7}, {1, 0, 1}));
  t.columns.push_back(NumericColumn<int64_t>("l", DType::kI64, {8, 9, 10}, {0, 1, 1}));
  t.columns.push_back(StringColumn("s", {"x", "", "z"}, {0, 1, 1}));
  EXPECT_EQ(Written(t),
            "d,f,i,l,s\n"
            ",,5,,\n"
            "1,3,,9,\n"
            ",4,7,10,z\n");
}

TEST(WriteCsvTest, NoColumnsOrNoRows) {
  EXPECT_EQ(Written(Table{}), "\n");
  Table t;
  t.columns.push_back(NumericColumn<double>("a", DType::kF64, {}));
  t.columns.push_back(StringColumn("b", {}));
  EXPECT_EQ(Written(t), "a,b\n");
}

class WriteCsvRoundTrip : public ::testing::Test {
 protected:
  Table RoundTrip(const Table& t, const std::vector<ColumnRequest>& columns) {
    const std::string path = dir_ / "rt.csv";
    WriteCsv(path, t);
    return ReadCsv(path, columns);
  }
  TempDir dir_;
};

TEST_F(WriteCsvRoundTrip, DoublesReadBackBitForBit) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mant(-1.0, 1.0);
  std::uniform_int_distribution<int> expo(-300, 300);
  std::vector<double> values = {
      0.0,   -0.0, 1.0 / 3.0, 5e-324,     std::numeric_limits<double>::max(),
      -kInf, kInf, 0.1 + 0.2, 123456789.0};
  for (int i = 0; i < 2000; ++i) values.push_back(std::ldexp(mant(rng), expo(rng)));
  Table t;
  t.columns.push_back(NumericColumn("v", DType::kF64, values));
  const Table back = RoundTrip(t, {{"v", ColumnKind::kNumeric}});
  ASSERT_EQ(back.rows(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    const double got = back.columns[0].values<double>()[i];
    EXPECT_EQ(got, values[i]) << i;
    EXPECT_EQ(std::signbit(got), std::signbit(values[i])) << i;
  }
}

TEST_F(WriteCsvRoundTrip, FloatsReadBackExactlyAsFloats) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.f, 1e6f);
  std::vector<float> values = {0.1f, 1.0f / 3.0f, std::numeric_limits<float>::min(),
                               std::numeric_limits<float>::max()};
  for (int i = 0; i < 1000; ++i) values.push_back(n(rng));
  Table t;
  t.columns.push_back(NumericColumn("v", DType::kF32, values));
  const Table back = RoundTrip(t, {{"v", ColumnKind::kNumeric}});
  ASSERT_EQ(back.rows(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(static_cast<float>(back.columns[0].values<double>()[i]), values[i]) << i;
  }
}

TEST_F(WriteCsvRoundTrip, StringsAndMissingValues) {
  const std::vector<std::string> s = {"a,b", "say \"hi\"", "two\nlines", "", "plain", "crlf\r\n"};
  Table t;
  t.columns.push_back(StringColumn("s, t", s, {1, 1, 1, 0, 1, 1}));
  t.columns.push_back(NumericColumn<double>("x", DType::kF64, {1, kNan, 3, 4, 5, 6}));
  const Table back =
      RoundTrip(t, {{"s, t", ColumnKind::kCategorical}, {"x", ColumnKind::kNumeric}});
  ASSERT_EQ(back.rows(), 6);
  EXPECT_EQ(Strings(back.columns[0]), s);
  EXPECT_FALSE(back.columns[0].is_valid(3));
  EXPECT_TRUE(std::isnan(back.columns[1].as_double(1)));
  EXPECT_EQ(back.columns[1].as_double(5), 6.0);
}

TEST_F(WriteCsvRoundTrip, LargeTableIsWrittenInFull) {
  // More than the 1 MiB write buffer.
  std::vector<int64_t> ids(200000);
  std::vector<std::string> names(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = static_cast<int64_t>(i) * 1000003;
    names[i] = "name-" + std::to_string(i);
  }
  Table t;
  t.columns.push_back(NumericColumn("id", DType::kI64, ids));
  t.columns.push_back(StringColumn("name", names));
  const Table back =
      RoundTrip(t, {{"id", ColumnKind::kNumeric}, {"name", ColumnKind::kCategorical}});
  ASSERT_EQ(back.rows(), static_cast<int64_t>(ids.size()));
  EXPECT_EQ(back.columns[0].values<double>()[199999], 199999.0 * 1000003);
  EXPECT_EQ(Strings(back.columns[1]), names);
  EXPECT_EQ(Listing(dir_.path()), std::vector<std::string>{"rt.csv"});
}

// A row whose only field is missing would be a blank line, which ReadCsv skips: it is written as
// `""` (as Python's csv module does), so it reads back as a missing value.
TEST_F(WriteCsvRoundTrip, SingleColumnMissingRowIsKept) {
  Table t;
  t.columns.push_back(NumericColumn<double>("x", DType::kF64, {1, kNan, 3}));
  EXPECT_EQ(Written(t), "x\n1\n\"\"\n3\n");
  const Table back = RoundTrip(t, {{"x", ColumnKind::kNumeric}});
  ASSERT_EQ(back.rows(), 3);
  EXPECT_TRUE(std::isnan(back.columns[0].as_double(1)));
}

TEST(WriteCsvTest, OverwritesAndLeavesNoTemporaryFile) {
  TempDir dir;
  testing::WriteFile(dir / "t.csv", "old contents that are longer than the new ones\n");
  Table t;
  t.columns.push_back(NumericColumn<int32_t>("a", DType::kI32, {1}));
  WriteCsv(dir / "t.csv", t);
  EXPECT_EQ(ReadFile(dir / "t.csv"), "a\n1\n");
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"t.csv"});
}

TEST(WriteCsvTest, MissingFolderIsAnIoErrorNamingThePath) {
  TempDir dir;
  const std::string path = dir / "no/such/t.csv";
  const std::string msg = MessageOf<IoError>([&] { WriteCsv(path, Table{}); });
  EXPECT_EQ(msg.rfind(path + ": cannot create: ", 0), 0u) << msg;
}

TEST(WriteCsvTest, FailedRenameRemovesTheTemporaryFile) {
  TempDir dir;
  const std::string path = dir / "taken";
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  testing::WriteFile(path + "/inside", "x");  // a non-empty folder cannot be renamed over
  Table t;
  t.columns.push_back(NumericColumn<int32_t>("a", DType::kI32, {1}));
  const std::string msg = MessageOf<IoError>([&] { WriteCsv(path, t); });
  EXPECT_EQ(msg.rfind(path + ": write failed: ", 0), 0u) << msg;
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"taken"});
  EXPECT_EQ(Listing(path), std::vector<std::string>{"inside"});
}

TEST(WriteTableTest, PicksTheFormatByExtension) {
  TempDir dir;
  Table t;
  t.columns.push_back(NumericColumn<double>("x", DType::kF64, {1.5, -2}));
  WriteTable(dir / "a.csv", t);
  WriteTable(dir / "b.CSV", t);
  EXPECT_EQ(ReadFile(dir / "a.csv"), "x\n1.5\n-2\n");
  EXPECT_EQ(ReadFile(dir / "b.CSV"), ReadFile(dir / "a.csv"));
  for (const char* name : {"c.h5", "d.hdf5", "e.HDF"}) {
    WriteTable(dir / name, t);
    const Table back = ReadHdf5(dir / name, {{"x", ColumnKind::kNumeric}});
    ASSERT_EQ(back.rows(), 2) << name;
    EXPECT_EQ(back.columns[0].as_double(1), -2.0) << name;
  }
}

TEST(WriteTableTest, UnknownExtensionIsAConfigError) {
  TempDir dir;
  for (const char* name : {"t.parquet", "t", "csv", "t.csv.gz"}) {
    const std::string path = dir / name;
    EXPECT_EQ(MessageOf<ConfigError>([&] { WriteTable(path, Table{}); }),
              path + ": unknown output format (expected .h5, .hdf5, .hdf or .csv)");
  }
  EXPECT_TRUE(Listing(dir.path()).empty());
}

}  // namespace
}  // namespace freshet
