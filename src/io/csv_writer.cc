// WriteCsv and WriteTable.
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "freshet/error.hpp"
#include "freshet/io.hpp"

namespace freshet {
namespace {

void AppendField(std::string* out, const char* p, size_t n) {
  bool quote = false;
  for (size_t i = 0; i < n; ++i) {
    const char ch = p[i];
    quote |= ch == ',' || ch == '"' || ch == '\n' || ch == '\r';
  }
  if (!quote) {
    out->append(p, n);
    return;
  }
  out->push_back('"');
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '"') out->push_back('"');
    out->push_back(p[i]);
  }
  out->push_back('"');
}

template <typename T>
void AppendNumber(std::string* out, T v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendValue(std::string* out, const Column& c, int64_t i) {
  if (!c.is_valid(i)) return;
  switch (c.dtype) {
    case DType::kF32:
      if (!std::isnan(c.values<float>()[i])) AppendNumber(out, c.values<float>()[i]);
      break;
    case DType::kF64:
      if (!std::isnan(c.values<double>()[i])) AppendNumber(out, c.values<double>()[i]);
      break;
    case DType::kI32:
      AppendNumber(out, c.values<int32_t>()[i]);
      break;
    case DType::kI64:
      AppendNumber(out, c.values<int64_t>()[i]);
      break;
    case DType::kString:
      AppendField(out, c.bytes.data() + c.offsets[i],
                  static_cast<size_t>(c.offsets[i + 1] - c.offsets[i]));
      break;
  }
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  std::string tail = s.substr(s.size() - suffix.size());
  for (auto& ch : tail) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return tail == suffix;
}

}  // namespace

void WriteCsv(const std::string& path, const Table& table) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw IoError(path + ": cannot create: " + std::strerror(errno));
  std::string buf;
  for (size_t j = 0; j < table.columns.size(); ++j) {
    if (j) buf.push_back(',');
    AppendField(&buf, table.columns[j].name.data(), table.columns[j].name.size());
  }
  buf.push_back('\n');
  bool ok = true;
  for (int64_t i = 0; i < table.rows() && ok; ++i) {
    const size_t row_start = buf.size();
    for (size_t j = 0; j < table.columns.size(); ++j) {
      if (j) buf.push_back(',');
      AppendValue(&buf, table.columns[j], i);
    }
    // A row of one empty field would be a blank line, which readers skip: quote it, as Python's
    // csv module does, so that the missing value reads back as a row.
    if (buf.size() == row_start) buf.append("\"\"");
    buf.push_back('\n');
    if (buf.size() > (1 << 20)) {
      ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
      buf.clear();
    }
  }
  ok = ok && std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok = std::fflush(f) == 0 && ok && ::fsync(fileno(f)) == 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(path + ": write failed: " + err);
  }
}

void WriteTable(const std::string& path, const Table& table) {
  if (EndsWith(path, ".csv")) return WriteCsv(path, table);
  if (EndsWith(path, ".h5") || EndsWith(path, ".hdf5") || EndsWith(path, ".hdf")) {
    return WriteHdf5(path, table);
  }
  throw ConfigError(path + ": unknown output format (expected .h5, .hdf5, .hdf or .csv)");
}

}  // namespace freshet
