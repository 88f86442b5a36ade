// Throughput of the stream parsers, printed (not asserted: machines differ). Online mode's goal is
// well over a million CSV records a second on one core for ~11 short fields.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "freshet/stream.hpp"
#include "io/test_util.h"
#include "src/online/stream_internal.h"

namespace freshet {
namespace {

using testing::TempDir;
using testing::WriteFile;

StreamSchema ElevenColumns(const std::string& format) {
  StreamSchema s;
  s.format = format;
  s.columns = {{"label", ColumnKind::kNumeric}};
  for (int i = 1; i <= 5; ++i) s.columns.push_back({"n" + std::to_string(i), ColumnKind::kNumeric});
  for (int i = 1; i <= 5; ++i) {
    s.columns.push_back({"c" + std::to_string(i), ColumnKind::kCategorical});
  }
  return s;
}

std::string Data(const std::string& format, int64_t records) {
  static const char* const kNumbers[] = {"0", "1", "12.5", "0.25", "-3", "1e-3", "", "42", "7.125"};
  static const char* const kWords[] = {"abc", "de", "fgh1", "x", "yz", "", "mobile", "US"};
  std::mt19937 rng(7);
  std::string out;
  if (format == "csv") out = "label,n1,n2,n3,n4,n5,c1,c2,c3,c4,c5\n";
  for (int64_t r = 0; r < records; ++r) {
    const char* sep = format == "csv" ? "" : "{";
    auto put = [&](const std::string& key, const std::string& value, bool quote) {
      if (format == "csv") {
        out += sep;
        out += value;
        sep = ",";
      } else if (!value.empty()) {
        out += sep;
        out += "\"" + key + "\":" + (quote ? "\"" + value + "\"" : value);
        sep = ",";
      }
    };
    put("label", rng() % 2 ? "1" : "0", false);
    for (int i = 1; i <= 5; ++i) put("n" + std::to_string(i), kNumbers[rng() % 9], false);
    for (int i = 1; i <= 5; ++i) put("c" + std::to_string(i), kWords[rng() % 8], true);
    out += format == "csv" ? "\n" : "}\n";
  }
  return out;
}

// Reads `records` records from a file's fd (as standard input redirected from a file) in
// batches of 4096, best of three passes.
void Measure(const std::string& format, int64_t records) {
  TempDir dir;
  const std::string data = Data(format, records);
  WriteFile(dir / "data", data);
  double best = 1e9;
  for (int pass = 0; pass < 3; ++pass) {
    const int fd = open((dir / "data").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    auto source = stream::OpenFdStream(fd, true, "-", ElevenColumns(format), nullptr);
    const auto start = std::chrono::steady_clock::now();
    int64_t rows = 0, dead = 0;
    while (!source->Finished()) {
      const RecordBatch b = source->Next(4096, 1.0);
      rows += b.table.rows();
      dead += static_cast<int64_t>(b.dead.size());
    }
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    EXPECT_EQ(rows, records);
    EXPECT_EQ(dead, 0);
  }
  std::printf("[   INFO   ] %s: %lld records (%.1f MB) in %.3f s: %.0f records/s, %.0f MB/s\n",
              format.c_str(), static_cast<long long>(records), data.size() / 1e6, best,
              records / best, data.size() / 1e6 / best);
}

TEST(StreamSpeedTest, CsvRecordsPerSecond) { Measure("csv", 1000000); }

TEST(StreamSpeedTest, JsonLinesRecordsPerSecond) { Measure("jsonl", 200000); }

}  // namespace
}  // namespace freshet
