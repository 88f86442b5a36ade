#include "freshet/table.hpp"

#include <cmath>
#include <limits>

#include "freshet/error.hpp"

namespace freshet {

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kF32:
      return "f32";
    case DType::kF64:
      return "f64";
    case DType::kI32:
      return "i32";
    case DType::kI64:
      return "i64";
    case DType::kString:
      return "string";
  }
  return "?";
}

double Column::as_double(int64_t i) const {
  if (!is_valid(i)) return std::numeric_limits<double>::quiet_NaN();
  switch (dtype) {
    case DType::kF32:
      return values<float>()[i];
    case DType::kF64:
      return values<double>()[i];
    case DType::kI32:
      return values<int32_t>()[i];
    case DType::kI64:
      return static_cast<double>(values<int64_t>()[i]);
    case DType::kString:
      break;
  }
  FRESHET_CHECK(false, "as_double on string column " + name);
  return 0;
}

void Column::Append(const Column& other) {
  FRESHET_CHECK(other.name == name && other.dtype == dtype,
                "cannot append column " + other.name + " to " + name);
  if (!valid.empty() || !other.valid.empty()) {
    if (valid.empty()) valid.assign(rows, 1);
    if (other.valid.empty()) {
      valid.insert(valid.end(), other.rows, 1);
    } else {
      valid.insert(valid.end(), other.valid.begin(), other.valid.end());
    }
  }
  if (is_string()) {
    if (offsets.empty()) offsets.push_back(0);
    const int64_t base = static_cast<int64_t>(bytes.size());
    bytes.insert(bytes.end(), other.bytes.begin(), other.bytes.end());
    for (int64_t i = 1; i <= other.rows; ++i) offsets.push_back(base + other.offsets[i]);
  } else {
    data.insert(data.end(), other.data.begin(), other.data.end());
  }
  rows += other.rows;
}

Column StringColumn(const std::string& name, const std::vector<std::string>& values,
                    std::vector<uint8_t> valid) {
  Column c;
  c.name = name;
  c.dtype = DType::kString;
  c.rows = static_cast<int64_t>(values.size());
  c.offsets.reserve(values.size() + 1);
  c.offsets.push_back(0);
  for (const auto& v : values) {
    c.bytes.insert(c.bytes.end(), v.begin(), v.end());
    c.offsets.push_back(static_cast<int64_t>(c.bytes.size()));
  }
  c.valid = std::move(valid);
  return c;
}

const Column* Table::Find(const std::string& name) const {
  for (const Column& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void Table::Append(const Table& other) {
  if (columns.empty()) {
    *this = other;
    return;
  }
  FRESHET_CHECK(other.columns.size() == columns.size(), "appending a table of another shape");
  for (size_t i = 0; i < columns.size(); ++i) columns[i].Append(other.columns[i]);
}

void Table::ReserveRows(int64_t rows) {
  for (Column& c : columns) {
    if (c.rows <= 0 || rows <= c.rows) continue;
    const auto scaled = [&](size_t size) {
      return static_cast<size_t>(static_cast<double>(size) / static_cast<double>(c.rows) *
                                 static_cast<double>(rows));
    };
    if (!c.valid.empty()) c.valid.reserve(static_cast<size_t>(rows));
    if (c.is_string()) {
      c.bytes.reserve(scaled(c.bytes.size()));
      c.offsets.reserve(static_cast<size_t>(rows) + 1);
    } else {
      c.data.reserve(scaled(c.data.size()));
    }
  }
}

Table Table::Take(const std::vector<int64_t>& rows) const {
  Table out;
  for (const Column& c : columns) {
    Column t;
    t.name = c.name;
    t.dtype = c.dtype;
    t.rows = static_cast<int64_t>(rows.size());
    if (!c.valid.empty()) {
      t.valid.reserve(rows.size());
      for (int64_t r : rows) t.valid.push_back(c.valid[static_cast<size_t>(r)]);
    }
    if (c.is_string()) {
      t.offsets.reserve(rows.size() + 1);
      t.offsets.push_back(0);
      for (int64_t r : rows) {
        t.bytes.insert(t.bytes.end(), c.bytes.begin() + c.offsets[static_cast<size_t>(r)],
                       c.bytes.begin() + c.offsets[static_cast<size_t>(r) + 1]);
        t.offsets.push_back(static_cast<int64_t>(t.bytes.size()));
      }
    } else {
      const size_t width = c.rows > 0 ? c.data.size() / static_cast<size_t>(c.rows) : 0;
      t.data.resize(rows.size() * width);
      for (size_t i = 0; i < rows.size(); ++i) {
        std::memcpy(t.data.data() + i * width, c.data.data() + static_cast<size_t>(rows[i]) * width,
                    width);
      }
    }
    out.columns.push_back(std::move(t));
  }
  return out;
}

std::vector<float> FiniteFloats(const Table& table, const std::string& name, const char* what,
                                bool non_negative) {
  const Column* col = table.Find(name);
  if (!col) throw DataError("the " + std::string(what) + " column \"" + name + "\" was not read");
  if (col->is_string()) {
    throw DataError(std::string(what) + " column \"" + name + "\": expected numbers, got strings");
  }
  std::vector<float> out(static_cast<size_t>(col->size()));
  for (int64_t i = 0; i < col->size(); ++i) {
    const double v = col->as_double(i);
    if (!std::isfinite(v) || (non_negative && v < 0)) {
      throw DataError(std::string(what) + " column \"" + name + "\", row " + std::to_string(i) +
                      ": expected a finite" + (non_negative ? " non-negative" : "") +
                      " number, got " + (std::isnan(v) ? "a missing value" : std::to_string(v)));
    }
    out[static_cast<size_t>(i)] = static_cast<float>(v);
  }
  return out;
}

}  // namespace freshet
