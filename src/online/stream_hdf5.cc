// The rows of an HDF5 chunk (read whole with ReadHdf5) as stream records.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {
namespace {

double NumberAt(const Column& c, int64_t r) {
  switch (c.dtype) {
    case DType::kF32:
      return c.values<float>()[r];
    case DType::kF64:
      return c.values<double>()[r];
    case DType::kI32:
      return c.values<int32_t>()[r];
    case DType::kI64:
      return static_cast<double>(c.values<int64_t>()[r]);
    case DType::kString:
      break;
  }
  return std::nan("");
}

// A numeric value of a categorical column (an integer code) as its decimal text.
std::string CodeText(const Column& c, int64_t r) {
  if (c.dtype == DType::kI32) return std::to_string(c.values<int32_t>()[r]);
  if (c.dtype == DType::kI64) return std::to_string(c.values<int64_t>()[r]);
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), NumberAt(c, r));
  return std::string(buf, res.ptr);
}

// The row as a JSON object, for its dead letter.
std::string RowText(const Table& table, int64_t r) {
  nlohmann::json row = nlohmann::json::object();
  for (const Column& c : table.columns) {
    if (!c.is_valid(r)) {
      row[c.name] = nullptr;
    } else if (c.is_string()) {
      row[c.name] = std::string(c.bytes.data() + c.offsets[r], c.bytes.data() + c.offsets[r + 1]);
    } else if (c.dtype == DType::kI32 || c.dtype == DType::kI64) {
      row[c.name] = static_cast<int64_t>(NumberAt(c, r));
    } else {
      const double v = NumberAt(c, r);
      row[c.name] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(CodeText(c, r));
    }
  }
  return row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void AppendHdf5Rows(const Table& table, const std::string& path, int64_t begin, int64_t end,
                    BatchBuilder* out) {
  const std::vector<ColumnRequest>& columns = out->columns();
  for (int64_t r = begin; r < end; ++r) {
    std::string reason;
    for (size_t i = 0; i < columns.size() && reason.empty(); ++i) {
      const Column& c = table.columns[i];
      if (!c.is_valid(r)) continue;
      if (c.is_string()) {
        const char* b = c.bytes.data() + c.offsets[r];
        const char* e = c.bytes.data() + c.offsets[r + 1];
        if (!ValidUtf8(b, e)) reason = "column " + columns[i].name + ": invalid UTF-8";
      } else if (columns[i].kind == ColumnKind::kNumeric && std::isinf(NumberAt(c, r))) {
        reason = "column " + columns[i].name + ": expected a finite number, got " + CodeText(c, r);
      }
    }
    if (!reason.empty()) {
      const std::string text = RowText(table, r);
      out->AddDead(path + "#" + std::to_string(r), std::move(reason), text.data(),
                   text.data() + text.size());
      continue;
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      const Column& c = table.columns[i];
      if (!c.is_valid(r)) {
        out->AppendMissing(i);
      } else if (c.is_string()) {
        const char* b = c.bytes.data() + c.offsets[r];
        const char* e = c.bytes.data() + c.offsets[r + 1];
        if (b == e) {
          out->AppendMissing(i);
        } else {
          out->AppendString(i, b, e);
        }
      } else if (columns[i].kind == ColumnKind::kNumeric) {
        const double v = NumberAt(c, r);
        if (std::isnan(v)) {
          out->AppendMissing(i);
        } else {
          out->AppendNumber(i, v);
        }
      } else {
        const std::string text = CodeText(c, r);
        out->AppendString(i, text.data(), text.data() + text.size());
      }
    }
    out->EndRow();
  }
}

}  // namespace stream
}  // namespace freshet
