// ReadCsv: RFC 4180 CSV, read into memory and parsed in one pass.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <clocale>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "src/io/csv_tokenizer.h"

namespace freshet {
namespace {

using csv::Field;
using csv::Tokenizer;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// The whole file plus a NUL after its last byte, which stops strtod at the end of the buffer.
struct FileBytes {
  std::unique_ptr<char[]> data;
  size_t size = 0;
};

FileBytes ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(path + ": cannot open: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) throw DataError(path + ": cannot stat: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw DataError(path + ": is a folder, expected a CSV file");
  FileBytes file;
  const size_t capacity = static_cast<size_t>(st.st_size);
  file.data.reset(new char[capacity + 1]);
  while (file.size < capacity) {
    const ssize_t n = read(fd, file.data.get() + file.size, capacity - file.size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw DataError(path + ": cannot read: " + std::strerror(errno));
    if (n == 0) break;
    file.size += static_cast<size_t>(n);
  }
  file.data[file.size] = '\0';
  return file;
}

// Parses [b, e) as a double, as strtod in the C locale would. std::from_chars (correctly rounded
// like strtod, and several times faster in libstdc++) takes the common forms; what it refuses or
// reports out of range (a leading '+', hex, overflow, underflow) goes to strtod_l.
bool ParseNumber(const char* b, const char* e, double* out) {
  const std::from_chars_result r = std::from_chars(b, e, *out);
  if (r.ec == std::errc() && r.ptr == e) return true;
  static const locale_t kCLocale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  char* stop = nullptr;
  *out = strtod_l(b, &stop, kCLocale);
  return stop == e;
}

// Where the values of one requested column go while the file is parsed.
struct Output {
  explicit Output(const ColumnRequest* r) : request(r) {}

  const ColumnRequest* request;
  std::vector<double> numbers;
  std::vector<char> bytes;
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> valid;  // empty until the first missing value

  void SetValid(int64_t row, bool present) {
    if (!present && valid.empty()) valid.assign(static_cast<size_t>(row), 1);
    if (!present || !valid.empty()) valid.push_back(present ? 1 : 0);
  }

  Column Finish(int64_t rows) {
    Column c;
    c.name = request->name;
    c.rows = rows;
    c.valid = std::move(valid);
    if (request->kind == ColumnKind::kNumeric) {
      c.dtype = DType::kF64;
      c.data.resize(numbers.size() * sizeof(double));
      if (!numbers.empty()) std::memcpy(c.data.data(), numbers.data(), c.data.size());
      std::vector<double>().swap(numbers);
    } else {
      c.dtype = DType::kString;
      c.bytes = std::move(bytes);
      c.offsets = std::move(offsets);
    }
    return c;
  }
};

// Shows a field's value in an error message on one line, cut after 40 bytes.
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

class CsvParser {
 public:
  CsvParser(const std::string& path, const std::vector<ColumnRequest>& columns)
      : path_(path), columns_(columns) {}

  Table Parse(const char* begin, const char* end) {
    if (end - begin >= 3 && std::memcmp(begin, "\xEF\xBB\xBF", 3) == 0) begin += 3;  // UTF-8 BOM
    if (begin == end) throw DataError(path_ + ": empty file, expected a CSV header row");
    Tokenizer tokenizer(begin, end);
    ReadHeader(&tokenizer);
    MapColumns();
    const int64_t expected_rows = std::count(begin, end, '\n') + 1;
    for (Output& out : outputs_) {
      if (out.request->kind == ColumnKind::kNumeric) {
        out.numbers.reserve(static_cast<size_t>(expected_rows));
      } else {
        out.offsets.reserve(static_cast<size_t>(expected_rows) + 1);
      }
    }
    int64_t rows = 0;
    while (tokenizer.StartRecord()) ReadRecord(&tokenizer, rows++);
    Table table;
    for (Output& out : outputs_) table.columns.push_back(out.Finish(rows));
    return table;
  }

 private:
  std::string ColumnName(size_t field) const {
    return field < header_.size() ? Quoted(header_[field]) : "#" + std::to_string(field + 1);
  }

  [[noreturn]] void FieldError(const Tokenizer::Result r, int64_t line, size_t field) const {
    throw DataError(path_ + ": line " + std::to_string(line) + ", column " + ColumnName(field) +
                    (r == Tokenizer::kUnterminated ? ": unterminated quoted field"
                                                   : ": unexpected text after a closing quote"));
  }

  void ReadHeader(Tokenizer* tokenizer) {
    if (!tokenizer->StartRecord()) throw DataError(path_ + ": no header row (only blank lines)");
    Tokenizer::Result r;
    do {
      Field f;
      r = tokenizer->Next(&f);
      if (r > Tokenizer::kLast) FieldError(r, f.line, header_.size());
      header_.emplace_back();
      csv::AppendUnescaped(f, &header_.back());
    } while (r == Tokenizer::kMore);
  }

  void MapColumns() {
    first_output_.assign(header_.size(), -1);
    next_output_.assign(columns_.size(), -1);
    outputs_.reserve(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) {
      const auto it = std::find(header_.begin(), header_.end(), columns_[i].name);
      if (it == header_.end()) {
        throw DataError(path_ + ": column " + Quoted(columns_[i].name) +
                        ": not found in the header row");
      }
      int* slot = &first_output_[it - header_.begin()];
      while (*slot >= 0) slot = &next_output_[*slot];
      *slot = static_cast<int>(i);
      outputs_.emplace_back(&columns_[i]);
    }
  }

  void ReadRecord(Tokenizer* tokenizer, int64_t row) {
    const int64_t line = tokenizer->line();
    const size_t fields = header_.size();
    size_t k = 0;
    Tokenizer::Result r;
    do {
      Field f;
      r = tokenizer->Next(&f);
      if (r > Tokenizer::kLast) FieldError(r, f.line, k);
      if (k < fields) {
        for (int o = first_output_[k]; o >= 0; o = next_output_[o]) Store(f, k, row, &outputs_[o]);
      }
      ++k;
    } while (r == Tokenizer::kMore);
    if (k < fields) {
      throw DataError(path_ + ": line " + std::to_string(line) + ": expected " +
                      std::to_string(fields) + " fields like the header, got " + std::to_string(k) +
                      " (column " + ColumnName(k) + " is missing)");
    }
    if (k > fields) {
      throw DataError(path_ + ": line " + std::to_string(line) + ": expected " +
                      std::to_string(fields) + " fields like the header, got " + std::to_string(k) +
                      " (after column " + ColumnName(fields - 1) + ")");
    }
  }

  void Store(const Field& f, size_t k, int64_t row, Output* out) const {
    if (out->request->kind == ColumnKind::kCategorical) {
      out->SetValid(row, f.begin != f.end);
      csv::AppendUnescaped(f, &out->bytes);
      out->offsets.push_back(static_cast<int64_t>(out->bytes.size()));
      return;
    }
    const char* b = f.begin;
    const char* e = f.end;
    while (b < e && (*b == ' ' || *b == '\t')) ++b;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) --e;
    double v = std::numeric_limits<double>::quiet_NaN();
    if (b != e && !ParseNumber(b, e, &v)) {
      throw DataError(path_ + ": line " + std::to_string(f.line) + ", column " + ColumnName(k) +
                      ": \"" + Printable(f.begin, f.end) + "\" is not a number");
    }
    out->SetValid(row, b != e);
    out->numbers.push_back(v);
  }

  const std::string& path_;
  const std::vector<ColumnRequest>& columns_;
  std::vector<std::string> header_;
  std::vector<Output> outputs_;
  std::vector<int> first_output_;  // header field -> first output reading it, or -1
  std::vector<int> next_output_;   // output -> next output reading the same field, or -1
};

}  // namespace

Table ReadCsv(const std::string& path, const std::vector<ColumnRequest>& columns) {
  const FileBytes file = ReadWholeFile(path);
  return CsvParser(path, columns).Parse(file.data.get(), file.data.get() + file.size);
}

}  // namespace freshet
