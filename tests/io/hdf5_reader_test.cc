// ReadHdf5 on files written by h5py (tests/data/make_fixtures.py) and on malformed input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::DataPath;
using testing::MessageOf;
using testing::TempDir;

constexpr ColumnKind kNum = ColumnKind::kNumeric;
constexpr ColumnKind kCat = ColumnKind::kCategorical;

template <typename T>
std::vector<T> Values(const Column& c) {
  return std::vector<T>(c.values<T>(), c.values<T>() + c.rows);
}

std::vector<std::string> Strings(const Column& c) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < c.rows; ++i) {
    out.emplace_back(c.bytes.data() + c.offsets[i], c.bytes.data() + c.offsets[i + 1]);
  }
  return out;
}

Column ReadOne(const std::string& file, const std::string& name, ColumnKind kind = kNum) {
  Table t = ReadHdf5(DataPath(file), {{name, kind}});
  EXPECT_EQ(t.columns.size(), 1u);
  return t.columns.at(0);
}

TEST(ReadHdf5Test, SmallIntegersBecomeI32) {
  const Table t =
      ReadHdf5(DataPath("h5py_numeric.h5"),
               {{"i8", kNum}, {"i16", kNum}, {"i32", kNum}, {"u8", kNum}, {"u16", kNum}});
  ASSERT_EQ(t.columns.size(), 5u);
  EXPECT_EQ(t.rows(), 5);
  for (const Column& c : t.columns) EXPECT_EQ(c.dtype, DType::kI32) << c.name;
  EXPECT_EQ(Values<int32_t>(t.columns[0]), (std::vector<int32_t>{-128, -1, 0, 1, 127}));
  EXPECT_EQ(Values<int32_t>(t.columns[1]), (std::vector<int32_t>{-32768, -1, 0, 1, 32767}));
  EXPECT_EQ(Values<int32_t>(t.columns[2]), (std::vector<int32_t>{INT32_MIN, -1, 0, 1, INT32_MAX}));
  EXPECT_EQ(Values<int32_t>(t.columns[3]), (std::vector<int32_t>{0, 1, 2, 254, 255}));
  EXPECT_EQ(Values<int32_t>(t.columns[4]), (std::vector<int32_t>{0, 1, 2, 65534, 65535}));
  for (const Column& c : t.columns) EXPECT_TRUE(c.valid.empty());
}

TEST(ReadHdf5Test, WideIntegersBecomeI64) {
  const Table t =
      ReadHdf5(DataPath("h5py_numeric.h5"), {{"u32", kNum}, {"i64", kNum}, {"u64", kNum}});
  for (const Column& c : t.columns) EXPECT_EQ(c.dtype, DType::kI64) << c.name;
  EXPECT_EQ(Values<int64_t>(t.columns[0]),
            (std::vector<int64_t>{0, 1, 2, 4294967294LL, 4294967295LL}));
  EXPECT_EQ(Values<int64_t>(t.columns[1]), (std::vector<int64_t>{INT64_MIN, -1, 0, 1, INT64_MAX}));
  EXPECT_EQ(Values<int64_t>(t.columns[2]),
            (std::vector<int64_t>{0, 1, 2, int64_t{1} << 62, INT64_MAX}));
}

TEST(ReadHdf5Test, CategoricalIntegersBecomeI64) {
  for (const char* name : {"i8", "u8", "i16", "i32", "u32", "i64", "bool"}) {
    const Column c = ReadOne("h5py_numeric.h5", name, kCat);
    EXPECT_EQ(c.dtype, DType::kI64) << name;
    EXPECT_EQ(c.rows, 5) << name;
  }
  EXPECT_EQ(Values<int64_t>(ReadOne("h5py_strings.h5", "codes", kCat)),
            (std::vector<int64_t>{3, 1, 4, 1, 5}));
}

TEST(ReadHdf5Test, BoolEnumBecomesI32) {
  const Column c = ReadOne("h5py_numeric.h5", "bool");
  EXPECT_EQ(c.dtype, DType::kI32);
  EXPECT_EQ(Values<int32_t>(c), (std::vector<int32_t>{1, 0, 1, 1, 0}));
}

TEST(ReadHdf5Test, FloatsKeepTheirWidthAndNaN) {
  const Table t =
      ReadHdf5(DataPath("h5py_numeric.h5"), {{"f64", kNum}, {"f32", kNum}, {"f16", kNum}});
  const Column& f64 = t.columns[0];
  const Column& f32 = t.columns[1];
  const Column& f16 = t.columns[2];
  ASSERT_EQ(f64.dtype, DType::kF64);
  ASSERT_EQ(f32.dtype, DType::kF32);
  ASSERT_EQ(f16.dtype, DType::kF32);
  EXPECT_EQ(f64.values<double>()[0], 0.1);
  EXPECT_EQ(f64.values<double>()[1], -2.5);
  EXPECT_TRUE(std::isnan(f64.values<double>()[2]));
  EXPECT_EQ(f64.values<double>()[3], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(f64.values<double>()[4], 1e300);
  EXPECT_EQ(f32.values<float>()[1], -1.25f);
  EXPECT_TRUE(std::isnan(f32.values<float>()[2]));
  EXPECT_EQ(f32.values<float>()[3], std::numeric_limits<float>::infinity());
  EXPECT_EQ(f32.values<float>()[4], 3.0e38f);
  EXPECT_EQ(f16.values<float>()[0], 0.5f);
  EXPECT_TRUE(std::isnan(f16.values<float>()[2]));
  EXPECT_EQ(f16.values<float>()[4], 65504.0f);
  // NaN stays a value; the feature stage treats it as missing.
  EXPECT_TRUE(f64.valid.empty());
  EXPECT_TRUE(std::isnan(f64.as_double(2)));
}

TEST(ReadHdf5Test, CompressedDatasetAndGroupAndRequestOrder) {
  EXPECT_EQ(Values<double>(ReadOne("h5py_numeric.h5", "f64_gzip")),
            (std::vector<double>{0, 0.25, 0.5, 0.75, 1.0}));
  const Table sub = ReadHdf5(DataPath("h5py_numeric.h5"), {{"x", kNum}}, "/sub");
  EXPECT_EQ(Values<int64_t>(sub.columns.at(0)), (std::vector<int64_t>{10, 20, 30, 40, 50}));
  const Table t =
      ReadHdf5(DataPath("h5py_numeric.h5"), {{"u8", kNum}, {"bool", kNum}, {"i8", kNum}});
  EXPECT_EQ(t.columns[0].name, "u8");
  EXPECT_EQ(t.columns[1].name, "bool");
  EXPECT_EQ(t.columns[2].name, "i8");
  EXPECT_TRUE(ReadHdf5(DataPath("h5py_numeric.h5"), {}).columns.empty());
}

TEST(ReadHdf5Test, FixedLengthStringsLoseTheirPadding) {
  const Column fixed = ReadOne("h5py_strings.h5", "fixed", kCat);
  ASSERT_EQ(fixed.dtype, DType::kString);
  EXPECT_EQ(Strings(fixed), (std::vector<std::string>{"red", "", "blue", "green6", "a"}));
  EXPECT_EQ(fixed.valid, (std::vector<uint8_t>{1, 0, 1, 1, 1}));
  const Column space = ReadOne("h5py_strings.h5", "space_padded", kCat);
  EXPECT_EQ(Strings(space), (std::vector<std::string>{"ab", "", "c d", "xyzxyz", " e"}));
  EXPECT_EQ(space.valid, (std::vector<uint8_t>{1, 0, 1, 1, 1}));
  const Column utf8 = ReadOne("h5py_strings.h5", "fixed_utf8", kCat);
  EXPECT_EQ(Strings(utf8), (std::vector<std::string>{"\xc3\xa9", "", "ok", "z", "\xc3\xbc"}));
}

TEST(ReadHdf5Test, VariableLengthStrings) {
  const Table t = ReadHdf5(DataPath("h5py_strings.h5"), {{"vlen", kCat}, {"vlen_ascii", kCat}});
  const Column& utf8 = t.columns[0];
  ASSERT_EQ(utf8.dtype, DType::kString);
  EXPECT_EQ(Strings(utf8), (std::vector<std::string>{"Z\xc3\xbcrich", "", "Paris",
                                                     "\xe6\x9d\xb1\xe4\xba\xac", "x"}));
  EXPECT_EQ(utf8.valid, (std::vector<uint8_t>{1, 0, 1, 1, 1}));
  EXPECT_EQ(utf8.offsets.size(), 6u);
  EXPECT_EQ(Strings(t.columns[1]), (std::vector<std::string>{"a", "bb", "", "ccc", "d"}));
  EXPECT_EQ(t.columns[1].valid, (std::vector<uint8_t>{1, 1, 0, 1, 1}));
}

// Expects a DataError that starts with the file's path and names the column.
void ExpectDataError(const std::string& path, const std::vector<ColumnRequest>& columns,
                     const std::string& column, const std::string& fragment,
                     const std::string& group = "/") {
  const std::string msg = MessageOf<DataError>([&] { ReadHdf5(path, columns, group); });
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find("\"" + column + "\""), std::string::npos) << msg;
  EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(ReadHdf5ErrorTest, MissingColumn) {
  ExpectDataError(DataPath("h5py_bad.h5"), {{"ok", kNum}, {"age", kNum}}, "age",
                  "column \"age\": no such dataset in group \"/\"");
  ExpectDataError(DataPath("h5py_numeric.h5"), {{"x", kNum}}, "x", "no such dataset");
  ExpectDataError(DataPath("h5py_numeric.h5"), {{"a/b", kNum}}, "a/b", "no such dataset");
  ExpectDataError(DataPath("h5py_bad.h5"), {{"folder", kNum}}, "folder", "expected a dataset");
}

TEST(ReadHdf5ErrorTest, MissingGroup) {
  ExpectDataError(DataPath("h5py_bad.h5"), {{"ok", kNum}}, "ok", "group \"/nope\" not found",
                  "/nope");
}

TEST(ReadHdf5ErrorTest, RaggedLengths) {
  ExpectDataError(DataPath("h5py_bad.h5"), {{"ok", kNum}, {"short", kNum}}, "short",
                  "column \"short\": has 3 rows, expected 5 like column \"ok\"");
}

TEST(ReadHdf5ErrorTest, NotOneDimensional) {
  ExpectDataError(DataPath("h5py_bad.h5"), {{"matrix", kNum}}, "matrix",
                  "expected a 1-D dataset, got 2-D with shape [3, 2]");
  ExpectDataError(DataPath("h5py_bad.h5"), {{"scalar", kNum}}, "scalar",
                  "expected a 1-D dataset, got 0-D");
}

TEST(ReadHdf5ErrorTest, WrongType) {
  const std::string bad = DataPath("h5py_bad.h5");
  ExpectDataError(bad, {{"name", kNum}}, "name",
                  "column \"name\": expected a numeric dataset, got a string");
  ExpectDataError(DataPath("h5py_strings.h5"), {{"vlen", kNum}}, "vlen",
                  "expected a numeric dataset, got a string");
  ExpectDataError(DataPath("h5py_strings.h5"), {{"score", kCat}}, "score",
                  "expected a string or integer dataset, got a 64-bit float");
  ExpectDataError(bad, {{"pair", kNum}}, "pair", "got a compound type");
}

TEST(ReadHdf5ErrorTest, Uint64AboveInt64Max) {
  ExpectDataError(DataPath("h5py_bad.h5"), {{"u64_big", kNum}}, "u64_big",
                  "row 4: uint64 value 9223372036854775808 does not fit");
  ExpectDataError(DataPath("h5py_bad.h5"), {{"u64_big", kCat}}, "u64_big", "does not fit");
}

TEST(ReadHdf5ErrorTest, EmptyFile) {
  TempDir dir;
  const std::string path = dir / "empty.h5";
  testing::WriteFile(path, "");
  ExpectDataError(path, {{"age", kNum}}, "age", "empty file");
}

TEST(ReadHdf5ErrorTest, NotHdf5) {
  TempDir dir;
  const std::string path = dir / "text.h5";
  testing::WriteFile(path, "age,city\n1,Paris\n");
  ExpectDataError(path, {{"age", kNum}}, "age", "not an HDF5 file");
}

TEST(ReadHdf5ErrorTest, TruncatedFile) {
  TempDir dir;
  const std::string path = dir / "truncated.h5";
  const std::string good = testing::ReadFile(DataPath("h5py_numeric.h5"));
  ASSERT_GT(good.size(), 1000u);
  testing::WriteFile(path, good.substr(0, good.size() / 2));
  ExpectDataError(path, {{"f64", kNum}, {"i8", kNum}}, "f64", "truncated");
}

TEST(ReadHdf5ErrorTest, MissingFileOrFolder) {
  TempDir dir;
  ExpectDataError(dir / "nope.h5", {{"age", kNum}}, "age", "cannot open");
  ExpectDataError(dir.path(), {{"age", kNum}}, "age", "is a folder");
}

}  // namespace
}  // namespace freshet
