// The JSON lines record parser of the stream sources: one object per line, read with
// nlohmann::json's SAX interface (no document is built), keys matched to the schema's columns.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {
namespace {

using Json = nlohmann::json;

// "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without its first part
// and the line (there is one).
std::string ShortMessage(const std::string& what) {
  std::string m = what;
  const size_t bracket = m.find("] ");
  if (!m.empty() && m[0] == '[' && bracket != std::string::npos) m = m.substr(bracket + 2);
  const size_t line = m.find("line 1, ");
  if (line != std::string::npos) m.erase(line, 8);
  return m;
}

class JsonlParser final : public RecordParser, public nlohmann::json_sax<Json> {
 public:
  explicit JsonlParser(const StreamSchema& schema)
      : columns_(schema.columns),
        max_bytes_(schema.max_record_bytes),
        values_(columns_.size()),
        next_(columns_.size(), -1) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      auto it = first_.find(columns_[i].name);
      if (it == first_.end()) {
        first_.emplace(columns_[i].name, static_cast<int>(i));
        continue;
      }
      int* slot = &it->second;
      while (next_[*slot] >= 0) slot = &next_[*slot];
      *slot = static_cast<int>(i);
    }
  }

  Outcome Parse(const char** pp, const char* end, bool final, int64_t max_records,
                const ByteOrigin& where, BatchBuilder* out) override {
    const char* p = *pp;
    while (p < end && out->records() < max_records) {
      if (where.base + (p - where.origin) == 0 && end - p >= 3 &&
          std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
      }
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (nl == nullptr && !final) break;
      const char* line_end = nl ? nl : end;
      const char* next = nl ? nl + 1 : end;
      const char* b = p;
      while (b < line_end && (*b == ' ' || *b == '\t' || *b == '\r')) ++b;
      if (b != line_end) {
        if (line_end - p > max_bytes_) {
          out->AddDead(where.Position(p),
                       "record longer than " + std::to_string(max_bytes_) + " bytes", p, line_end);
        } else {
          ParseLine(p, line_end, where, out);
        }
      }
      p = next;
    }
    *pp = p;
    return p < end && out->records() < max_records ? kIncomplete : kStopped;
  }

  bool BeginSkip() override { return true; }

  const char* SkipOn(const char* p, const char* end) override {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    return nl ? nl + 1 : nullptr;
  }

  void Restart() override {}
  bool Ready() const override { return true; }
  const std::string& HeaderError() const override { return no_error_; }

  // The SAX events of one line.
  bool null() override { return Scalar(nullptr, Value::kMissing); }
  bool boolean(bool v) override { return Scalar(v ? "true" : "false", Value::kRefused); }
  bool number_integer(number_integer_t v) override {
    text_ = std::to_string(v);
    return Number(static_cast<double>(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    text_ = std::to_string(v);
    return Number(static_cast<double>(v));
  }
  bool number_float(number_float_t v, const string_t& s) override {
    text_ = s;
    return Number(v);
  }
  bool string(string_t& s) override {
    if (depth_ == 0) return Top("a string");
    if (depth_ != 1 || current_ < 0) return true;
    for (int i = current_; i >= 0; i = next_[i]) {
      Value& v = values_[i];
      if (s.empty()) {
        v.state = Value::kMissing;
      } else if (columns_[i].kind == ColumnKind::kNumeric) {
        Refuse(i, "expected a number, got \"" + Printable(s.data(), s.data() + s.size()) + "\"");
      } else {
        v.state = Value::kString;
        v.text = s;
      }
    }
    return true;
  }
  bool binary(binary_t& /*v*/) override { return true; }
  bool start_object(std::size_t /*n*/) override { return Open("an object", true); }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      const auto it = first_.find(k);
      current_ = it == first_.end() ? -1 : it->second;
    }
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*n*/) override { return Open("an array", false); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    parse_error_ = ShortMessage(ex.what());
    return false;
  }

 private:
  struct Value {
    enum State { kMissing, kNumber, kString, kRefused } state = kMissing;
    double number = 0;
    std::string text;
  };

  void ParseLine(const char* b, const char* e, const ByteOrigin& where, BatchBuilder* out) {
    for (Value& v : values_) v.state = Value::kMissing;
    depth_ = 0;
    current_ = -1;
    reason_.clear();
    parse_error_.clear();
    Json::sax_parse(b, e, this);
    if (!parse_error_.empty()) {
      out->AddDead(where.Position(b), "invalid JSON: " + parse_error_, b, e);
      return;
    }
    if (!reason_.empty()) {
      out->AddDead(where.Position(b), reason_, b, e);
      return;
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      const Value& v = values_[i];
      if (v.state == Value::kMissing) {
        out->AppendMissing(i);
      } else if (columns_[i].kind == ColumnKind::kNumeric) {
        out->AppendNumber(i, v.number);
      } else {
        out->AppendString(i, v.text.data(), v.text.data() + v.text.size());
      }
    }
    out->EndRow();
  }

  bool Top(const char* what) {
    if (reason_.empty()) reason_ = std::string("expected a JSON object, got ") + what;
    return true;
  }

  void Refuse(int i, const std::string& why) {
    values_[i].state = Value::kRefused;
    if (reason_.empty()) reason_ = "column " + columns_[i].name + ": " + why;
  }

  bool Scalar(const char* text, Value::State state) {
    if (depth_ == 0) return Top(text ? text : "null");
    if (depth_ != 1 || current_ < 0) return true;
    for (int i = current_; i >= 0; i = next_[i]) {
      if (state == Value::kMissing) {
        values_[i].state = Value::kMissing;
      } else {
        Refuse(i, std::string("expected a ") +
                      (columns_[i].kind == ColumnKind::kNumeric ? "number" : "string") + ", got " +
                      text);
      }
    }
    return true;
  }

  bool Number(double value) {
    if (depth_ == 0) return Top("a number");
    if (depth_ != 1 || current_ < 0) return true;
    for (int i = current_; i >= 0; i = next_[i]) {
      Value& v = values_[i];
      if (columns_[i].kind == ColumnKind::kCategorical) {
        v.state = Value::kString;
        v.text = text_;
      } else if (std::isfinite(value)) {
        v.state = Value::kNumber;
        v.number = value;
      } else {
        Refuse(i, "expected a finite number, got " + text_);
      }
    }
    return true;
  }

  bool Open(const char* what, bool object) {
    if (depth_ == 1 && current_ >= 0) {
      for (int i = current_; i >= 0; i = next_[i]) {
        Refuse(i, std::string("expected a ") +
                      (columns_[i].kind == ColumnKind::kNumeric ? "number" : "string") + ", got " +
                      what);
      }
    } else if (depth_ == 0 && !object) {
      Top(what);
    }
    ++depth_;
    return true;
  }

  std::vector<ColumnRequest> columns_;
  int64_t max_bytes_;
  std::vector<Value> values_;
  std::unordered_map<std::string, int> first_;  // key -> first schema column of that name
  std::vector<int> next_;                       // column -> next one of the same name, or -1
  int depth_ = 0;
  int current_ = -1;  // the schema column the current top-level key names, or -1
  std::string text_;
  std::string reason_;
  std::string parse_error_;
  const std::string no_error_;
};

}  // namespace

std::unique_ptr<RecordParser> MakeJsonlParser(const StreamSchema& schema) {
  return std::make_unique<JsonlParser>(schema);
}

}  // namespace stream
}  // namespace freshet
