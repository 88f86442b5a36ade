// Column and Table (src/io/table.cc): dtype names, typed reads, appends and lookups.
#include "freshet/table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::MessageOf;

std::vector<std::string> Strings(const Column& c) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < c.rows; ++i) {
    out.emplace_back(c.bytes.data() + c.offsets[i], c.bytes.data() + c.offsets[i + 1]);
  }
  return out;
}

template <typename T>
std::vector<T> Values(const Column& c) {
  return std::vector<T>(c.values<T>(), c.values<T>() + c.rows);
}

TEST(DTypeNameTest, NamesEveryDtype) {
  EXPECT_STREQ(DTypeName(DType::kF32), "f32");
  EXPECT_STREQ(DTypeName(DType::kF64), "f64");
  EXPECT_STREQ(DTypeName(DType::kI32), "i32");
  EXPECT_STREQ(DTypeName(DType::kI64), "i64");
  EXPECT_STREQ(DTypeName(DType::kString), "string");
  EXPECT_STREQ(DTypeName(static_cast<DType>(99)), "?");
}

TEST(NumericColumnTest, HoldsPackedValues) {
  const Column c = NumericColumn<int32_t>("n", DType::kI32, {7, -3, 2147483647});
  EXPECT_EQ(c.name, "n");
  EXPECT_EQ(c.dtype, DType::kI32);
  EXPECT_EQ(c.size(), 3);
  EXPECT_EQ(c.data.size(), 3 * sizeof(int32_t));
  EXPECT_FALSE(c.is_string());
  EXPECT_EQ(Values<int32_t>(c), (std::vector<int32_t>{7, -3, 2147483647}));
  EXPECT_TRUE(c.valid.empty());
  for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE(c.is_valid(i));

  const Column empty = NumericColumn<double>("e", DType::kF64, {});
  EXPECT_EQ(empty.size(), 0);
  EXPECT_TRUE(empty.data.empty());
}

TEST(ColumnTest, AsDoubleReadsEveryNumericDtype) {
  EXPECT_EQ(NumericColumn<float>("a", DType::kF32, {1.5f, -0.25f}).as_double(1), -0.25);
  EXPECT_EQ(NumericColumn<double>("a", DType::kF64, {0.1, 1e300}).as_double(1), 1e300);
  EXPECT_EQ(NumericColumn<int32_t>("a", DType::kI32, {-7}).as_double(0), -7.0);
  const int64_t big = int64_t{1} << 53;
  EXPECT_EQ(NumericColumn<int64_t>("a", DType::kI64, {0, big}).as_double(1),
            static_cast<double>(big));
}

TEST(ColumnTest, AsDoubleIsNanWhereInvalid) {
  const Column c = NumericColumn<int64_t>("a", DType::kI64, {1, 2, 3}, {1, 0, 1});
  EXPECT_TRUE(c.is_valid(0));
  EXPECT_FALSE(c.is_valid(1));
  EXPECT_EQ(c.as_double(0), 1.0);
  EXPECT_TRUE(std::isnan(c.as_double(1)));
  EXPECT_EQ(c.as_double(2), 3.0);
  // A stored NaN is returned as it is, whatever `valid` says.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(NumericColumn<double>("f", DType::kF64, {nan}).as_double(0)));
}

TEST(ColumnTest, AsDoubleOnStringsIsAnInternalError) {
  const Column c = StringColumn("city", {"oslo"});
  try {
    c.as_double(0);
    FAIL() << "as_double accepted a string column";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    EXPECT_NE(std::string(e.what()).find("as_double on string column city"), std::string::npos)
        << e.what();
  }
}

TEST(StringColumnTest, OffsetsDelimitEachValue) {
  const Column c = StringColumn("s", {"ab", "", "héllo", "x,y"});
  EXPECT_EQ(c.dtype, DType::kString);
  EXPECT_TRUE(c.is_string());
  EXPECT_EQ(c.size(), 4);
  EXPECT_EQ(c.offsets, (std::vector<int64_t>{0, 2, 2, 8, 11}));
  EXPECT_EQ(std::string(c.bytes.begin(), c.bytes.end()), "abhéllox,y");
  EXPECT_EQ(Strings(c), (std::vector<std::string>{"ab", "", "héllo", "x,y"}));
  EXPECT_TRUE(c.valid.empty());

  const Column none = StringColumn("e", {});
  EXPECT_EQ(none.size(), 0);
  EXPECT_EQ(none.offsets, std::vector<int64_t>{0});
  EXPECT_TRUE(none.bytes.empty());
}

TEST(StringColumnTest, KeepsValidity) {
  const Column c = StringColumn("s", {"a", "b"}, {0, 1});
  EXPECT_FALSE(c.is_valid(0));
  EXPECT_TRUE(c.is_valid(1));
}

TEST(ColumnAppendTest, NumericValuesFollowEachOther) {
  Column c = NumericColumn<double>("x", DType::kF64, {1.0, 2.0});
  c.Append(NumericColumn<double>("x", DType::kF64, {3.0}));
  c.Append(NumericColumn<double>("x", DType::kF64, {}));
  EXPECT_EQ(c.rows, 3);
  EXPECT_EQ(Values<double>(c), (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_TRUE(c.valid.empty());
}

TEST(ColumnAppendTest, ValidityIsMergedRowForRow) {
  // Left all valid, right with a missing row: the left rows become explicit ones.
  Column a = NumericColumn<int32_t>("x", DType::kI32, {1, 2});
  a.Append(NumericColumn<int32_t>("x", DType::kI32, {3, 4}, {0, 1}));
  EXPECT_EQ(a.valid, (std::vector<uint8_t>{1, 1, 0, 1}));
  EXPECT_TRUE(std::isnan(a.as_double(2)));
  EXPECT_EQ(a.as_double(3), 4.0);

  // Left with a missing row, right all valid.
  Column b = NumericColumn<int32_t>("x", DType::kI32, {1}, {0});
  b.Append(NumericColumn<int32_t>("x", DType::kI32, {2, 3}));
  EXPECT_EQ(b.valid, (std::vector<uint8_t>{0, 1, 1}));

  // Both with validity.
  Column c = NumericColumn<int32_t>("x", DType::kI32, {1}, {1});
  c.Append(NumericColumn<int32_t>("x", DType::kI32, {2}, {0}));
  EXPECT_EQ(c.valid, (std::vector<uint8_t>{1, 0}));
}

TEST(ColumnAppendTest, StringOffsetsAreRebased) {
  Column c = StringColumn("s", {"ab", "c"});
  c.Append(StringColumn("s", {"", "def"}, {0, 1}));
  EXPECT_EQ(c.rows, 4);
  EXPECT_EQ(c.offsets, (std::vector<int64_t>{0, 2, 3, 3, 6}));
  EXPECT_EQ(Strings(c), (std::vector<std::string>{"ab", "c", "", "def"}));
  EXPECT_EQ(c.valid, (std::vector<uint8_t>{1, 1, 0, 1}));
}

TEST(ColumnAppendTest, StringsOntoABareColumn) {
  // A column built by hand has no offsets yet: the leading 0 is added on the first append.
  Column c;
  c.name = "s";
  c.dtype = DType::kString;
  c.Append(StringColumn("s", {"x", "yz"}));
  EXPECT_EQ(c.rows, 2);
  EXPECT_EQ(c.offsets, (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(Strings(c), (std::vector<std::string>{"x", "yz"}));
}

TEST(ColumnAppendTest, RefusesAnotherNameOrDtype) {
  Column c = NumericColumn<double>("x", DType::kF64, {1.0});
  const std::string by_name =
      MessageOf<Error>([&] { c.Append(NumericColumn<double>("y", DType::kF64, {2.0})); });
  EXPECT_NE(by_name.find("cannot append column y to x"), std::string::npos) << by_name;
  const std::string by_dtype =
      MessageOf<Error>([&] { c.Append(NumericColumn<float>("x", DType::kF32, {2.0f})); });
  EXPECT_NE(by_dtype.find("cannot append column x to x"), std::string::npos) << by_dtype;
  EXPECT_EQ(c.rows, 1);
  EXPECT_EQ(c.data.size(), sizeof(double));
}

Table TwoColumns(const std::vector<double>& x, const std::vector<std::string>& s) {
  Table t;
  t.columns.push_back(NumericColumn("x", DType::kF64, x));
  t.columns.push_back(StringColumn("s", s));
  return t;
}

TEST(TableTest, RowsAndFind) {
  EXPECT_EQ(Table{}.rows(), 0);
  EXPECT_EQ(Table{}.Find("x"), nullptr);
  Table t = TwoColumns({1, 2, 3}, {"a", "b", "c"});
  t.columns.push_back(NumericColumn<int32_t>("x", DType::kI32, {9, 9, 9}));
  EXPECT_EQ(t.rows(), 3);
  ASSERT_NE(t.Find("s"), nullptr);
  EXPECT_EQ(t.Find("s"), &t.columns[1]);
  EXPECT_EQ(t.Find("x"), &t.columns[0]);  // the first of two with the name
  EXPECT_EQ(t.Find("X"), nullptr);
  EXPECT_EQ(t.Find(""), nullptr);
}

TEST(TableTest, AppendToEmptyCopies) {
  Table t;
  t.Append(TwoColumns({1, 2}, {"a", "b"}));
  ASSERT_EQ(t.columns.size(), 2u);
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(Values<double>(t.columns[0]), (std::vector<double>{1, 2}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"a", "b"}));
}

TEST(TableTest, AppendConcatenatesEveryColumn) {
  Table t = TwoColumns({1, 2}, {"a", "b"});
  t.Append(TwoColumns({3}, {"cd"}));
  t.Append(TwoColumns({}, {}));
  EXPECT_EQ(t.rows(), 3);
  EXPECT_EQ(Values<double>(t.columns[0]), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"a", "b", "cd"}));
}

// Room for the rows to come: appending parts of the first one's size then moves nothing, and the
// rows are those appended.
TEST(TableTest, ReserveRowsLetsPartsAppendInPlace) {
  Table t = TwoColumns({1, 2}, {"ab", "cd"});
  t.ReserveRows(6);
  const void* data = t.columns[0].data.data();
  const void* bytes = t.columns[1].bytes.data();
  const void* offsets = t.columns[1].offsets.data();
  t.Append(TwoColumns({3, 4}, {"ef", "gh"}));
  t.Append(TwoColumns({5, 6}, {"ij", "kl"}));
  EXPECT_EQ(t.columns[0].data.data(), data);
  EXPECT_EQ(t.columns[1].bytes.data(), bytes);
  EXPECT_EQ(t.columns[1].offsets.data(), offsets);
  EXPECT_EQ(Values<double>(t.columns[0]), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"ab", "cd", "ef", "gh", "ij", "kl"}));
  // Fewer rows than it holds, or an empty table: nothing to do.
  t.ReserveRows(2);
  EXPECT_EQ(t.rows(), 6);
  Table empty;
  empty.ReserveRows(10);
  EXPECT_EQ(empty.rows(), 0);
}

TEST(TableTest, AppendRefusesAnotherShape) {
  Table t = TwoColumns({1}, {"a"});
  Table narrow;
  narrow.columns.push_back(NumericColumn<double>("x", DType::kF64, {2}));
  const std::string msg = MessageOf<Error>([&] { t.Append(narrow); });
  EXPECT_NE(msg.find("appending a table of another shape"), std::string::npos) << msg;
  EXPECT_EQ(t.rows(), 1);

  Table swapped;
  swapped.columns.push_back(StringColumn("s", {"b"}));
  swapped.columns.push_back(NumericColumn<double>("x", DType::kF64, {2}));
  EXPECT_NE(MessageOf<Error>([&] { t.Append(swapped); }).find("cannot append column s to x"),
            std::string::npos);
}

TEST(TableTest, TakePicksRowsInOrderWithRepeats) {
  Table t = TwoColumns({1, 2, 3}, {"a", "bb", "c"});
  t.columns[1].valid = {1, 0, 1};
  const Table s = t.Take({2, 0, 2});
  EXPECT_EQ(s.rows(), 3);
  EXPECT_EQ(s.columns[0].as_double(0), 3);
  EXPECT_EQ(s.columns[0].as_double(1), 1);
  EXPECT_EQ(Strings(s.columns[1]), (std::vector<std::string>{"c", "a", "c"}));
  EXPECT_EQ(s.columns[1].valid, (std::vector<uint8_t>{1, 1, 1}));
  EXPECT_EQ(t.Take({1}).columns[1].valid, std::vector<uint8_t>{0});
  EXPECT_EQ(t.Take({}).rows(), 0);
}

TEST(TableTest, FiniteFloatsNamesTheColumnAndTheRow) {
  Table t;
  t.columns.push_back(NumericColumn<double>("w", DType::kF64, {1, 2.5, -1}));
  t.columns.push_back(StringColumn("s", {"a", "b", "c"}));
  EXPECT_EQ(FiniteFloats(t, "w", "weight", false), (std::vector<float>{1, 2.5f, -1}));
  EXPECT_NE(MessageOf<DataError>([&] {
              FiniteFloats(t, "w", "weight", true);
            }).find("weight column \"w\", row 2: expected a finite non-negative number"),
            std::string::npos);
  EXPECT_NE(MessageOf<DataError>([&] {
              FiniteFloats(t, "s", "label", false);
            }).find("label column \"s\": expected numbers, got strings"),
            std::string::npos);
  EXPECT_NE(MessageOf<DataError>([&] {
              FiniteFloats(t, "y", "label", false);
            }).find("the label column \"y\" was not read"),
            std::string::npos);
  t.columns[0].mutable_values<double>()[1] = NAN;
  EXPECT_NE(MessageOf<DataError>([&] {
              FiniteFloats(t, "w", "weight", false);
            }).find("row 1: expected a finite number, got a missing value"),
            std::string::npos);
}

}  // namespace
}  // namespace freshet
