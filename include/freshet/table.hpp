// Table: the columnar in-memory form of one or more input partitions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace freshet {

enum class DType { kF32, kF64, kI32, kI64, kString };

// Returns "f32", "f64", "i32", "i64" or "string".
const char* DTypeName(DType t);

// One named column. Numeric columns hold `size()` values of their dtype in `data` (little-endian,
// packed). String columns hold all values back to back in `bytes`, value i being
// bytes[offsets[i], offsets[i+1]); `offsets` has size()+1 entries. `valid` is empty when every row
// is present, otherwise one byte per row (1 = present). A float NaN is also treated as missing by
// the feature stage, whatever `valid` says.
struct Column {
  std::string name;
  DType dtype = DType::kF64;
  int64_t rows = 0;
  std::vector<uint8_t> data;     // numeric values
  std::vector<char> bytes;       // string payload
  std::vector<int64_t> offsets;  // string offsets, rows + 1 entries
  std::vector<uint8_t> valid;    // empty = all valid

  int64_t size() const { return rows; }
  bool is_string() const { return dtype == DType::kString; }
  bool is_valid(int64_t i) const { return valid.empty() || valid[i] != 0; }

  // Typed view of a numeric column. REQUIRES: the dtype matches T.
  template <typename T>
  const T* values() const {
    return reinterpret_cast<const T*>(data.data());
  }
  template <typename T>
  T* mutable_values() {
    return reinterpret_cast<T*>(data.data());
  }

  // Value i of a numeric column as a double (NaN when missing). REQUIRES: !is_string().
  double as_double(int64_t i) const;

  // Appends the rows of `other`. REQUIRES: same name and dtype.
  void Append(const Column& other);
};

// Named columns of equal length, in the config's order (not the file's).
struct Table {
  std::vector<Column> columns;

  int64_t rows() const { return columns.empty() ? 0 : columns.front().rows; }
  // Returns the column called `name`, or nullptr.
  const Column* Find(const std::string& name) const;
  // Appends another table's rows. REQUIRES: same column names and dtypes, in the same order.
  void Append(const Table& other);
  // Reserves room for `rows` rows in all, each column's bytes a row as its rows' so far (a
  // table that is built by appending parts of about one size then grows without moving).
  void ReserveRows(int64_t rows);
  // A table of the given rows, in that order (a row may repeat). REQUIRES: each in [0, rows()).
  Table Take(const std::vector<int64_t>& rows) const;
};

// A numeric column of `dtype` holding `values` (T must be that dtype's C++ type); `valid` as in
// Column (empty = all present).
template <typename T>
Column NumericColumn(const std::string& name, DType dtype, const std::vector<T>& values,
                     std::vector<uint8_t> valid = {}) {
  Column c;
  c.name = name;
  c.dtype = dtype;
  c.rows = static_cast<int64_t>(values.size());
  c.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(c.data.data(), values.data(), c.data.size());
  c.valid = std::move(valid);
  return c;
}

// Column `name` of `table` as float32 values, for labels and row weights: every value must be
// finite (and >= 0 when `non_negative`). Throws DataError naming the column as `what` ("label",
// "weight") and the first bad row (0-based), or saying the column was not read or holds strings.
std::vector<float> FiniteFloats(const Table& table, const std::string& name, const char* what,
                                bool non_negative);

// A string column holding `values`; `valid` as in Column (empty = all present).
Column StringColumn(const std::string& name, const std::vector<std::string>& values,
                    std::vector<uint8_t> valid = {});

}  // namespace freshet
