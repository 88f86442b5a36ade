// The batch builder and the value checks the stream parsers share.
#include <algorithm>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {

bool ValidUtf8(const char* b, const char* e) {
  const auto* p = reinterpret_cast<const unsigned char*>(b);
  const auto* end = reinterpret_cast<const unsigned char*>(e);
  while (p < end) {
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

bool ParseFiniteNumber(const char* b, const char* e, double* out) {
  if (b == e) return false;
  // Short integers (labels, counts, codes) are the common case, and exact as doubles.
  const char* p = b + (*b == '-');
  if (p < e && e - p <= 15) {
    uint64_t v = 0;
    const char* q = p;
    while (q < e && static_cast<unsigned>(*q - '0') < 10)
      v = v * 10 + static_cast<unsigned>(*q++ - '0');
    if (q == e) {
      *out = p == b ? static_cast<double>(v) : -static_cast<double>(v);
      return true;
    }
  }
  const std::from_chars_result r = std::from_chars(b, e, *out);
  if (r.ec == std::errc() && r.ptr == e) return std::isfinite(*out);
  // What from_chars refuses but strtod takes: a leading '+', hex, values out of range (which
  // end up refused anyway unless they underflow). strtod also skips leading white space, which
  // the field must not have here.
  const unsigned char c = static_cast<unsigned char>(*b);
  if (c != '+' && c != '.' && c != '-' && (c < '0' || c > '9')) return false;
  static const locale_t kCLocale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  char* stop = nullptr;
  *out = strtod_l(b, &stop, kCLocale);
  return stop == e && std::isfinite(*out);
}

std::string Printable(const char* b, const char* e) {
  std::string out;
  for (const char* p = b; p < e && out.size() < 40; ++p) {
    if (*p == '\n') {
      out += "\\n";
    } else if (*p == '\r') {
      out += "\\r";
    } else {
      out += *p;
    }
  }
  return out.size() < static_cast<size_t>(e - b) ? out + "..." : out;
}

BatchBuilder::BatchBuilder(std::vector<ColumnRequest> columns)
    : columns_(std::move(columns)), outs_(columns_.size()) {}

void BatchBuilder::Reserve(int64_t rows) {
  const size_t n = static_cast<size_t>(std::min<int64_t>(rows, 1 << 16));
  for (size_t i = 0; i < outs_.size(); ++i) {
    if (columns_[i].kind == ColumnKind::kNumeric) {
      outs_[i].numbers.reserve(n);
    } else {
      outs_[i].offsets.reserve(n + 1);
      outs_[i].bytes.reserve(n * 8);
    }
  }
}

void BatchBuilder::AppendUndoubled(size_t col, const char* b, const char* e) {
  Out& o = outs_[col];
  for (const char* p = b; p < e; ++p) {
    o.bytes.push_back(*p);
    if (*p == '"') ++p;
  }
  o.offsets.push_back(static_cast<int64_t>(o.bytes.size()));
  if (!o.valid.empty()) o.valid.push_back(1);
}

void BatchBuilder::AppendMissing(size_t col) {
  Out& o = outs_[col];
  if (o.valid.empty()) o.valid.assign(static_cast<size_t>(rows_), 1);
  o.valid.push_back(0);
  if (columns_[col].kind == ColumnKind::kNumeric) {
    o.numbers.push_back(std::nan(""));
  } else {
    o.offsets.push_back(static_cast<int64_t>(o.bytes.size()));
  }
}

void BatchBuilder::AddDead(std::string position, std::string reason, const char* b, const char* e) {
  while (e > b && (e[-1] == '\n' || e[-1] == '\r')) --e;
  if (static_cast<size_t>(e - b) > kMaxDeadRecordText) e = b + kMaxDeadRecordText;
  dead_.push_back({std::move(position), std::move(reason), std::string(b, e)});
}

void BatchBuilder::AddDead(DeadLetter dead) { dead_.push_back(std::move(dead)); }

void BatchBuilder::Take(RecordBatch* batch) {
  Table& table = batch->table;
  table.columns.clear();
  table.columns.reserve(outs_.size());
  for (size_t i = 0; i < outs_.size(); ++i) {
    Out& o = outs_[i];
    Column c;
    c.name = columns_[i].name;
    c.rows = rows_;
    c.valid = std::move(o.valid);
    o.valid.clear();
    if (columns_[i].kind == ColumnKind::kNumeric) {
      c.dtype = DType::kF64;
      c.data.resize(o.numbers.size() * sizeof(double));
      if (!o.numbers.empty()) std::memcpy(c.data.data(), o.numbers.data(), c.data.size());
      o.numbers.clear();
    } else {
      c.dtype = DType::kString;
      c.bytes = std::move(o.bytes);
      c.offsets = std::move(o.offsets);
      o.bytes.clear();
      o.offsets.assign(1, 0);
    }
    table.columns.push_back(std::move(c));
  }
  batch->dead = std::move(dead_);
  dead_.clear();
  rows_ = 0;
}

void BatchBuilder::Clear() {
  RecordBatch discard;
  Take(&discard);
}

}  // namespace stream
}  // namespace freshet
