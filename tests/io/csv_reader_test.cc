// ReadCsv: RFC 4180 quoting, line ends, missing values, numbers and malformed input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

using testing::MessageOf;
using testing::TempDir;

constexpr ColumnKind kNum = ColumnKind::kNumeric;
constexpr ColumnKind kCat = ColumnKind::kCategorical;

std::vector<std::string> Strings(const Column& c) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < c.rows; ++i) {
    out.emplace_back(c.bytes.data() + c.offsets[i], c.bytes.data() + c.offsets[i + 1]);
  }
  return out;
}

std::vector<double> Numbers(const Column& c) {
  return std::vector<double>(c.values<double>(), c.values<double>() + c.rows);
}

class ReadCsvTest : public ::testing::Test {
 protected:
  // Writes `text` to a file in the test's folder and returns its path.
  std::string File(const std::string& text, const std::string& name = "file.csv") {
    const std::string path = dir_ / name;
    testing::WriteFile(path, text);
    return path;
  }

  Table Read(const std::string& text, const std::vector<ColumnRequest>& columns) {
    return ReadCsv(File(text), columns);
  }

  // Expects a DataError whose message is exactly `path: <expected>`.
  void ExpectError(const std::string& text, const std::vector<ColumnRequest>& columns,
                   const std::string& expected) {
    const std::string path = File(text);
    EXPECT_EQ(MessageOf<DataError>([&] { ReadCsv(path, columns); }), path + ": " + expected);
  }

  TempDir dir_;
};

TEST_F(ReadCsvTest, ColumnsInRequestOrder) {
  const Table t = Read("id,age,city\n1,30.5,Paris\n2,41,Rome\n", {{"city", kCat}, {"age", kNum}});
  ASSERT_EQ(t.columns.size(), 2u);
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(t.columns[0].name, "city");
  EXPECT_EQ(t.columns[0].dtype, DType::kString);
  EXPECT_EQ(Strings(t.columns[0]), (std::vector<std::string>{"Paris", "Rome"}));
  EXPECT_EQ(t.columns[1].dtype, DType::kF64);
  EXPECT_EQ(Numbers(t.columns[1]), (std::vector<double>{30.5, 41}));
  EXPECT_TRUE(t.columns[0].valid.empty());
  EXPECT_TRUE(t.columns[1].valid.empty());
}

TEST_F(ReadCsvTest, QuotedFieldsHoldCommasNewlinesAndQuotes) {
  const Table t = Read(
      "name,\"note, with comma\"\n"
      "\"Smith, J\",\"said \"\"hi\"\"\nthen left\"\n"
      "plain,\"\"\"\"\n",
      {{"name", kCat}, {"note, with comma", kCat}});
  EXPECT_EQ(Strings(t.columns[0]), (std::vector<std::string>{"Smith, J", "plain"}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"said \"hi\"\nthen left", "\""}));
}

TEST_F(ReadCsvTest, CrlfLineEnds) {
  const Table t = Read("a,b\r\n1,x\r\n\"2\",\"y\"\r\n3,z", {{"a", kNum}, {"b", kCat}});
  EXPECT_EQ(Numbers(t.columns[0]), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"x", "y", "z"}));
}

TEST_F(ReadCsvTest, EmptyFieldIsMissing) {
  const Table t = Read("a,b,c,d\n,,x,1\n2,\"\",,\n3,y,,4\n",
                       {{"a", kNum}, {"b", kCat}, {"c", kCat}, {"d", kNum}});
  const Column& a = t.columns[0];
  EXPECT_EQ(a.valid, (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_TRUE(std::isnan(a.values<double>()[0]));
  EXPECT_EQ(a.values<double>()[2], 3.0);
  EXPECT_EQ(t.columns[1].valid, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"", "", "y"}));
  EXPECT_EQ(t.columns[2].valid, (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(t.columns[3].valid, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_TRUE(std::isnan(t.columns[3].as_double(1)));
  EXPECT_EQ(t.columns[3].as_double(2), 4.0);
}

TEST_F(ReadCsvTest, NumbersAllowSpacesNanAndInf) {
  const Table t =
      Read("x\n  1.5 \n-2e3\nnan\ninf\n-Infinity\n+7\n.25\n0x10\n\"8\"\n", {{"x", kNum}});
  const std::vector<double> v = Numbers(t.columns[0]);
  ASSERT_EQ(v.size(), 9u);
  EXPECT_EQ(v[0], 1.5);
  EXPECT_EQ(v[1], -2000);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_EQ(v[3], std::numeric_limits<double>::infinity());
  EXPECT_EQ(v[4], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(v[5], 7);
  EXPECT_EQ(v[6], 0.25);
  EXPECT_EQ(v[7], 16);
  EXPECT_EQ(v[8], 8);
  EXPECT_TRUE(t.columns[0].valid.empty());
}

TEST_F(ReadCsvTest, NumbersMatchStrtodBitForBit) {
  std::mt19937_64 rng(7);
  std::string text = "x\n";
  std::vector<std::string> fields = {"5.",
                                     "-.5",
                                     "1e400",
                                     "-1e400",
                                     "1e-320",
                                     "4.9e-324",
                                     "2e-400",
                                     "+1.5e3",
                                     "0.1",
                                     "-0",
                                     "1E5",
                                     "007",
                                     "0x1p-2",
                                     "NaN",
                                     "-inf",
                                     "1.7976931348623157e308",
                                     "123456789012345678901234567890"};
  for (const std::string& f : fields) text += f + "\n";
  char buf[64];
  for (int i = 0; i < 20000; ++i) {
    const double v = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    const int precision = static_cast<int>(rng() % 20);
    std::snprintf(buf, sizeof(buf), i % 3 ? "%.*f" : "%.*g", precision, v);
    fields.push_back(buf);
    text += fields.back() + "\n";
  }
  const Table t = Read(text, {{"x", kNum}});
  ASSERT_EQ(t.rows(), static_cast<int64_t>(fields.size()));
  for (size_t i = 0; i < fields.size(); ++i) {
    const double expected = std::strtod(fields[i].c_str(), nullptr);
    const double got = t.columns[0].values<double>()[i];
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << fields[i];
    } else {
      ASSERT_EQ(std::memcmp(&expected, &got, sizeof(double)), 0) << fields[i] << " read as " << got;
    }
  }
}

TEST_F(ReadCsvTest, HeaderOnlyIsZeroRows) {
  for (const char* text : {"a,b\n", "a,b", "a,b\r\n\r\n"}) {
    const Table t = Read(text, {{"a", kNum}, {"b", kCat}});
    EXPECT_EQ(t.rows(), 0) << text;
    EXPECT_EQ(t.columns[1].offsets, std::vector<int64_t>{0});
  }
}

TEST_F(ReadCsvTest, BlankLinesAreSkippedAndBomIgnored) {
  const Table t = Read("\xEF\xBB\xBFid,v\n1,a\n\n2,b\n\r\n", {{"id", kNum}, {"v", kCat}});
  EXPECT_EQ(Numbers(t.columns[0]), (std::vector<double>{1, 2}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ReadCsvTest, SameColumnRequestedTwice) {
  const Table t = Read("code\n7\n9\n", {{"code", kNum}, {"code", kCat}});
  EXPECT_EQ(Numbers(t.columns[0]), (std::vector<double>{7, 9}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"7", "9"}));
}

TEST_F(ReadCsvTest, BadNumberNamesLineAndColumn) {
  ExpectError("id,age\n1,2\n2,abc\n", {{"age", kNum}},
              "line 3, column \"age\": \"abc\" is not a number");
  ExpectError("id,age\n1,2\n2,12kg\n", {{"age", kNum}},
              "line 3, column \"age\": \"12kg\" is not a number");
  // Line numbers count the newlines inside quoted fields.
  ExpectError("note,age\n\"a\nb\nc\",1\nx,1.2.3\n", {{"age", kNum}},
              "line 5, column \"age\": \"1.2.3\" is not a number");
  ExpectError("age\n\"1,5\"\n", {{"age", kNum}}, "line 2, column \"age\": \"1,5\" is not a number");
}

TEST_F(ReadCsvTest, UnterminatedQuote) {
  ExpectError("a,b\n1,\"open\n2,3\n", {{"a", kNum}},
              "line 2, column \"b\": unterminated quoted field");
  ExpectError("a,\"b\n1,2\n", {{"a", kNum}}, "line 1, column #2: unterminated quoted field");
}

TEST_F(ReadCsvTest, TextAfterClosingQuote) {
  ExpectError("a,b\n1,\"x\"y\n", {{"a", kNum}},
              "line 2, column \"b\": unexpected text after a closing quote");
}

TEST_F(ReadCsvTest, WrongFieldCount) {
  ExpectError("a,b,c\n1,2,3\n4,5\n", {{"a", kNum}},
              "line 3: expected 3 fields like the header, got 2 (column \"c\" is missing)");
  ExpectError("a,b,c\n1,2,3,4\n", {{"a", kNum}},
              "line 2: expected 3 fields like the header, got 4 (after column \"c\")");
}

TEST_F(ReadCsvTest, MissingColumn) {
  ExpectError("a,b\n1,2\n", {{"a", kNum}, {"age", kNum}},
              "column \"age\": not found in the header row");
}

TEST_F(ReadCsvTest, EmptyFile) {
  ExpectError("", {{"a", kNum}}, "empty file, expected a CSV header row");
  ExpectError("\n\n", {{"a", kNum}}, "no header row (only blank lines)");
}

TEST_F(ReadCsvTest, MissingFile) {
  const std::string path = dir_ / "nope.csv";
  const std::string msg = MessageOf<DataError>([&] { ReadCsv(path, {{"a", kNum}}); });
  EXPECT_EQ(msg.rfind(path + ": cannot open", 0), 0u) << msg;
}

}  // namespace
}  // namespace freshet
