// The CSV record parser of the stream sources: RFC 4180 records cut out of a buffer in place,
// checked whole, then appended to the batch's columns (no allocation per record or field).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {
namespace {

// The bytes that end an unquoted field. NUL ends the buffer (a NUL inside the data is data).
struct Stops {
  bool stop[256] = {};
  Stops() {
    for (unsigned char c : {',', '\n', '\0'}) stop[c] = true;
  }
};
const Stops kStops;

struct Field {
  const char* begin;
  const char* end;
  bool escaped;  // holds "" pairs that stand for one quote each
};

// One record as the scanner found it.
struct Record {
  const char* start;
  const char* next;           // after its line end
  size_t fields = 0;          // how many it has (only the first ones are kept)
  int64_t unterminated = -1;  // the field whose quote is never closed, or -1
  int64_t bad_quote = -1;     // the first field with text after its closing quote, or -1
};

class CsvParser final : public RecordParser {
 public:
  explicit CsvParser(const StreamSchema& schema)
      : columns_(schema.columns), max_bytes_(schema.max_record_bytes), numbers_(columns_.size()) {}

  Outcome Parse(const char** pp, const char* end, bool final, int64_t max_records,
                const ByteOrigin& where, BatchBuilder* out) override {
    const char* p = *pp;
    for (;;) {
      if (!have_header_ && where.base + (p - where.origin) == 0) {
        static const char kBom[] = "\xEF\xBB\xBF";
        const size_t n = std::min<size_t>(3, end - p);
        if (std::memcmp(p, kBom, n) == 0) {
          if (n < 3 && !final) break;
          p += n;
        }
      }
      while (p < end) {
        if (*p == '\n') {
          ++p;
        } else if (*p == '\r' && (p[1] == '\n' || (p + 1 == end && final))) {
          p += p[1] == '\n' ? 2 : 1;
        } else {
          break;
        }
      }
      if (p == end || (have_header_ && out->records() >= max_records)) break;
      Record rec;
      if (!Scan(p, end, final, &rec)) {
        *pp = p;
        return kIncomplete;
      }
      if (have_header_) {
        Process(rec, where, out);
      } else {
        TakeHeader(rec);
      }
      p = rec.next;
    }
    *pp = p;
    return kStopped;
  }

  bool BeginSkip() override {
    skip_state_ = kFieldStart;
    if (have_header_) return true;
    have_header_ = true;
    header_error_ = "header longer than " + std::to_string(max_bytes_) + " bytes";
    return false;
  }

  const char* SkipOn(const char* p, const char* end) override {
    for (; p < end; ++p) {
      const char c = *p;
      switch (skip_state_) {
        case kFieldStart:
          if (c == '"') {
            skip_state_ = kQuoted;
            break;
          }
          skip_state_ = kUnquoted;
          [[fallthrough]];
        case kUnquoted:
          if (c == ',') skip_state_ = kFieldStart;
          if (c == '\n') return p + 1;
          break;
        case kQuoted:
          p = static_cast<const char*>(std::memchr(p, '"', end - p));
          if (p == nullptr) return nullptr;
          skip_state_ = kClosed;
          break;
        case kClosed:  // after a quote inside a quoted field: "" or the closing one
          if (c == '"') {
            skip_state_ = kQuoted;
          } else if (c == ',') {
            skip_state_ = kFieldStart;
          } else if (c == '\n') {
            return p + 1;
          } else {
            skip_state_ = kUnquoted;
          }
          break;
      }
    }
    return nullptr;
  }

  void Restart() override {
    have_header_ = false;
    header_error_.clear();
    header_.clear();
    fields_.clear();
  }

  bool Ready() const override { return have_header_; }
  const std::string& HeaderError() const override { return header_error_; }

 private:
  enum SkipState { kFieldStart, kUnquoted, kQuoted, kClosed };

  void Keep(size_t k, const Field& f) {
    if (k < fields_.size()) {
      fields_[k] = f;
    } else if (!have_header_) {
      fields_.push_back(f);
    }
  }

  // Finds the fields of the record at `p`. Returns false when its end is not in [p, end) and more
  // bytes may follow.
  bool Scan(const char* p, const char* end, bool final, Record* r) {
    r->start = p;
    size_t k = 0;
    for (;;) {
      Field f{p, p, false};
      bool last;
      const char* s = p;  // where an unquoted scan starts
      bool quoted = false;
      if (*p == '"') {
        const char* q = p + 1;
        f.begin = q;
        for (;;) {
          q = static_cast<const char*>(std::memchr(q, '"', end - q));
          if (q == nullptr || (q + 1 == end && !final)) {
            if (!final) return false;
            break;
          }
          if (q[1] != '"') break;
          f.escaped = true;
          q += 2;
        }
        if (q == nullptr) {
          if (r->unterminated < 0) r->unterminated = static_cast<int64_t>(k);
          f.end = end;
          Keep(k++, f);
          r->fields = k;
          r->next = end;
          return true;
        }
        f.end = q;
        p = q + 1;
        quoted = true;
        if (*p == ',') {
          ++p;
          last = false;
        } else if (*p == '\n') {
          ++p;
          last = true;
        } else if (*p == '\r' && p[1] == '\n') {
          p += 2;
          last = true;
        } else if (p == end) {
          last = true;
        } else if (*p == '\r' && p + 1 == end) {
          if (!final) return false;
          ++p;
          last = true;
        } else {
          if (r->bad_quote < 0) r->bad_quote = static_cast<int64_t>(k);
          quoted = false;
          s = p;
        }
      }
      if (!quoted) {
        const char* q = s;
        for (;;) {
          while (!kStops.stop[static_cast<unsigned char>(*q)]) ++q;
          if (*q == '\0' && q < end) {
            ++q;
            continue;
          }
          break;
        }
        f.end = q;  // (after a bad quote the field's text does not matter)
        if (q < end && *q == ',') {
          p = q + 1;
          last = false;
        } else {
          if (q == end && !final) return false;
          if (f.end > f.begin && f.end[-1] == '\r') --f.end;
          p = q < end ? q + 1 : q;
          last = true;
        }
      }
      Keep(k++, f);
      if (last) {
        r->fields = k;
        r->next = p;
        return true;
      }
    }
  }

  std::string FieldName(int64_t k) const {
    return k < static_cast<int64_t>(header_.size()) ? header_[k] : "#" + std::to_string(k + 1);
  }

  void TakeHeader(const Record& rec) {
    have_header_ = true;
    if (LineLength(rec) > max_bytes_) {
      header_error_ = "header longer than " + std::to_string(max_bytes_) + " bytes";
      return;
    }
    for (size_t k = 0; k < rec.fields; ++k) {
      std::string name;
      for (const char* c = fields_[k].begin; c < fields_[k].end; ++c) {
        name.push_back(*c);
        if (*c == '"' && fields_[k].escaped) ++c;
      }
      header_.push_back(std::move(name));
    }
    if (rec.unterminated >= 0 || rec.bad_quote >= 0) {
      header_error_ = "header: column " + FieldName(std::max(rec.unterminated, rec.bad_quote)) +
                      (rec.unterminated >= 0 ? ": unterminated quoted field"
                                             : ": unexpected text after a closing quote");
      return;
    }
    source_.clear();
    for (const ColumnRequest& c : columns_) {
      const auto it = std::find(header_.begin(), header_.end(), c.name);
      if (it == header_.end()) {
        header_error_ = "header lacks column " + c.name;
        return;
      }
      source_.push_back(it - header_.begin());
    }
    fields_.resize(header_.size());
  }

  static int64_t LineLength(const Record& rec) {
    const char* e = rec.next;
    if (e > rec.start && e[-1] == '\n') --e;
    if (e > rec.start && e[-1] == '\r') --e;
    return e - rec.start;
  }

  void Process(const Record& rec, const ByteOrigin& where, BatchBuilder* out) {
    std::string reason;
    if (LineLength(rec) > max_bytes_) {
      reason = "record longer than " + std::to_string(max_bytes_) + " bytes";
    } else if (!header_error_.empty()) {
      reason = header_error_;
    } else if (rec.unterminated >= 0) {
      reason = "column " + FieldName(rec.unterminated) + ": unterminated quoted field";
    } else if (rec.bad_quote >= 0) {
      reason = "column " + FieldName(rec.bad_quote) + ": unexpected text after a closing quote";
    } else if (rec.fields != header_.size()) {
      reason = "expected " + std::to_string(header_.size()) + " fields like the header, got " +
               std::to_string(rec.fields);
    } else {
      for (size_t i = 0; i < columns_.size(); ++i) {
        const Field& f = fields_[source_[i]];
        if (columns_[i].kind == ColumnKind::kNumeric) {
          const char* b = f.begin;
          const char* e = f.end;
          while (b < e && (*b == ' ' || *b == '\t')) ++b;
          while (e > b && (e[-1] == ' ' || e[-1] == '\t')) --e;
          if (b == e) {
            numbers_[i].present = false;
          } else if (ParseFiniteNumber(b, e, &numbers_[i].value)) {
            numbers_[i].present = true;
          } else {
            reason = "column " + columns_[i].name + ": expected a number, got \"" +
                     Printable(f.begin, f.end) + "\"";
            break;
          }
        } else if (!ValidUtf8(f.begin, f.end)) {
          reason = "column " + columns_[i].name + ": invalid UTF-8";
          break;
        }
      }
    }
    if (!reason.empty()) {
      out->AddDead(where.Position(rec.start), std::move(reason), rec.start, rec.next);
      return;
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].kind == ColumnKind::kNumeric) {
        if (numbers_[i].present) {
          out->AppendNumber(i, numbers_[i].value);
        } else {
          out->AppendMissing(i);
        }
        continue;
      }
      const Field& f = fields_[source_[i]];
      if (f.begin == f.end) {
        out->AppendMissing(i);
      } else if (f.escaped) {
        out->AppendUndoubled(i, f.begin, f.end);
      } else {
        out->AppendString(i, f.begin, f.end);
      }
    }
    out->EndRow();
  }

  struct Number {
    double value = 0;
    bool present = false;
  };

  std::vector<ColumnRequest> columns_;
  int64_t max_bytes_;
  bool have_header_ = false;
  std::string header_error_;
  std::vector<std::string> header_;
  std::vector<size_t> source_;  // schema column -> header field
  std::vector<Field> fields_;   // the current record's first header_.size() fields
  std::vector<Number> numbers_;
  SkipState skip_state_ = kFieldStart;
};

}  // namespace

std::unique_ptr<RecordParser> MakeCsvParser(const StreamSchema& schema) {
  return std::make_unique<CsvParser>(schema);
}

}  // namespace stream
}  // namespace freshet
