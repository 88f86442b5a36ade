// Private: splits an in-memory CSV buffer into records and fields (RFC 4180) without copying.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace freshet {
namespace csv {

// One field of a record, pointing into the buffer: its content without the surrounding quotes.
struct Field {
  const char* begin = nullptr;
  const char* end = nullptr;
  bool escaped = false;  // the content holds doubled quotes ("") that stand for one quote each
  int64_t line = 0;      // the 1-based line where the field starts
};

// Appends the field's value to `out` (a std::string or std::vector<char>), undoubling quotes.
template <typename Out>
void AppendUnescaped(const Field& f, Out* out) {
  if (!f.escaped) {
    out->insert(out->end(), f.begin, f.end);
    return;
  }
  for (const char* p = f.begin; p < f.end; ++p) {
    out->push_back(*p);
    if (*p == '"') ++p;
  }
}

// Walks records and fields. REQUIRES: the byte at `end` is readable and is '\0'. Blank lines
// between records are skipped. CRLF and LF line ends are accepted; a CR elsewhere is data.
class Tokenizer {
 public:
  enum Result {
    kMore,          // a comma follows: the record has another field
    kLast,          // the field ends the record (line end or end of input)
    kUnterminated,  // a quoted field runs to the end of the input
    kBadQuote,      // a closing quote is followed by something other than a comma or line end
  };

  Tokenizer(const char* begin, const char* end) : p_(begin), end_(end) {}

  // Skips blank lines. Returns false at the end of the input.
  bool StartRecord() {
    while (p_ < end_) {
      if (*p_ == '\n') {
        ++p_;
      } else if (*p_ == '\r' && p_ + 1 < end_ && p_[1] == '\n') {
        p_ += 2;
      } else {
        return true;
      }
      ++line_;
    }
    return false;
  }

  // The line where the next field starts.
  int64_t line() const { return line_; }

  // Reads the next field of the current record into `f`.
  Result Next(Field* f) {
    f->line = line_;
    f->escaped = false;
    if (*p_ == '"') return NextQuoted(f);
    const char* p = p_;
    for (;;) {
      while (!kStops.stop[static_cast<unsigned char>(*p)]) ++p;
      if (*p == '\0' && p < end_) {  // a NUL inside the data, not the end of the buffer
        ++p;
        continue;
      }
      break;
    }
    f->begin = p_;
    f->end = p;
    if (p < end_ && *p == ',') {
      p_ = p + 1;
      return kMore;
    }
    if (f->end > f->begin && f->end[-1] == '\r') --f->end;
    p_ = p < end_ ? p + 1 : p;
    if (p < end_) ++line_;
    return kLast;
  }

 private:
  struct Stops {
    bool stop[256] = {};
    Stops() {
      for (unsigned char c : {',', '\n', '\0'}) stop[c] = true;
    }
  };
  static inline const Stops kStops{};

  Result NextQuoted(Field* f) {
    const char* p = p_ + 1;
    f->begin = p;
    for (;;) {
      const char* q = static_cast<const char*>(std::memchr(p, '"', end_ - p));
      if (q == nullptr) return kUnterminated;
      line_ += std::count(p, q, '\n');
      if (q + 1 < end_ && q[1] == '"') {
        f->escaped = true;
        p = q + 2;
        continue;
      }
      f->end = q;
      p = q + 1;
      break;
    }
    if (p == end_) {
      p_ = p;
      return kLast;
    }
    if (*p == ',') {
      p_ = p + 1;
      return kMore;
    }
    if (*p == '\r' && p + 1 < end_ && p[1] == '\n') ++p;
    if (*p == '\n' || (*p == '\r' && p + 1 == end_)) {
      p_ = p + 1;
      ++line_;
      return kLast;
    }
    p_ = p;
    return kBadQuote;
  }

  const char* p_;
  const char* end_;
  int64_t line_ = 1;
};

}  // namespace csv
}  // namespace freshet
