// The chunk folder source: name order, each chunk once, waiting for a chunk to stop growing,
// HDF5 and CSV chunks, unreadable chunks as one dead letter, and resuming.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "freshet/stream.hpp"
#include "io/test_util.h"
#include "src/online/stream_internal.h"

namespace freshet {
namespace {

using testing::MessageOf;
using testing::TempDir;
using testing::WriteFile;

StreamSchema Schema() {
  StreamSchema s;
  s.columns = {{"x", ColumnKind::kNumeric}, {"c", ColumnKind::kCategorical}};
  return s;
}

std::vector<std::string> Rows(const Table& t) {
  std::vector<std::string> rows;
  for (int64_t r = 0; r < t.rows(); ++r) {
    const Column& x = t.columns[0];
    const Column& c = t.columns[1];
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", x.as_double(r));
    std::string row = x.is_valid(r) ? buf : "-";
    row += " ";
    row += c.is_valid(r)
               ? std::string(c.bytes.data() + c.offsets[r], c.bytes.data() + c.offsets[r + 1])
               : "-";
    rows.push_back(row);
  }
  return rows;
}

void WriteChunk(const std::string& path, const std::vector<double>& x,
                const std::vector<std::string>& c) {
  Table t;
  t.columns.push_back(NumericColumn("x", DType::kF64, x));
  t.columns.push_back(StringColumn("c", c));
  WriteHdf5(path, t);
}

struct Collected {
  std::vector<std::string> rows;
  std::vector<DeadLetter> dead;
  std::vector<StreamPosition> ends;
};

// Reads until a call returns nothing.
Collected ReadAll(StreamSource* source, int64_t batch_rows) {
  Collected c;
  for (int i = 0; i < 1000; ++i) {
    const RecordBatch b = source->Next(batch_rows, 0.3);
    if (b.records() == 0) break;
    for (const std::string& r : Rows(b.table)) c.rows.push_back(r);
    for (const DeadLetter& d : b.dead) c.dead.push_back(d);
    c.ends.push_back(b.end);
  }
  return c;
}

TEST(StreamFolderTest, ChunksInNameOrderEachOnce) {
  TempDir dir;
  WriteChunk(dir / "0002.h5", {3, std::nan("")}, {"c", ""});
  WriteFile(dir / "0001.csv", "c,x,y\na,1,q\nb,2,q\n");
  WriteFile(dir / "notes.txt", "not a chunk");
  auto source = stream::OpenChunkFolder(dir.path(), Schema(), "0*", nullptr);
  EXPECT_EQ(source->Describe(), dir.path());
  EXPECT_EQ(source->Position().kind, "folder");
  EXPECT_EQ(source->Position().file, "");
  RecordBatch b = source->Next(4, 2.0);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"1 a", "2 b", "3 c", "- -"}));
  EXPECT_TRUE(b.dead.empty());
  EXPECT_EQ(b.end.file, dir / "0002.h5");
  EXPECT_EQ(b.end.offset, 2);
  EXPECT_EQ(b.end.records, 4);
  EXPECT_EQ(b.end.Describe(), dir / "0002.h5#2");
  EXPECT_EQ(source->Next(10, 0.2).records(), 0) << "each chunk once";

  WriteChunk(dir / "0003.h5", {5}, {"e"});
  WriteFile(dir / "0000.csv", "x,c\n0,z\n");  // sorts before what is read: skipped
  b = source->Next(10, 0.3);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"5 e"});
  EXPECT_EQ(b.end.file, dir / "0003.h5");
  EXPECT_EQ(b.end.records, 5);
  EXPECT_FALSE(source->Finished());
}

TEST(StreamFolderTest, WaitsUntilAChunkStopsGrowing) {
  TempDir dir;
  auto source = stream::OpenChunkFolder(dir.path(), Schema(), "*.csv", nullptr);
  WriteFile(dir / "a.csv", "x,c\n1,a\n");
  EXPECT_EQ(source->Next(10, 0.0).records(), 0) << "seen once: not taken yet";
  {
    std::ofstream out(dir / "a.csv", std::ios::app);
    out << "2,b\n";
  }
  EXPECT_EQ(source->Next(10, 0.0).records(), 0) << "it grew";
  const RecordBatch b = source->Next(2, 2.0);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"1 a", "2 b"}));
}

TEST(StreamFolderTest, BadChunksAndBadRowsAreDeadLetters) {
  TempDir dir;
  WriteChunk(dir / "1.h5", {1, 2, 3, 4}, {"a", "b", "c", "d"});
  {
    const std::string bytes = testing::ReadFile(dir / "1.h5");
    WriteFile(dir / "1.h5", bytes.substr(0, bytes.size() / 2));  // truncated
  }
  WriteFile(dir / "2.csv", "x,d\n1,a\n2,b\n");                    // lacks column c
  WriteFile(dir / "3.csv", "x,c\n1,a\n2\n3,b,c\nnope,e\n4,\"f");  // bad rows, cut short
  WriteChunk(dir / "4.h5", {5, std::numeric_limits<double>::infinity(), 6}, {"g", "h", "\xff"});
  {
    Table t;
    t.columns.push_back(NumericColumn("x", DType::kF64, std::vector<double>{7}));
    WriteHdf5(dir / "5.h5", t);  // no column c
  }
  WriteChunk(dir / "6.h5", {8}, {"i"});
  auto source = stream::OpenChunkFolder(dir.path(), Schema(), "*", nullptr);
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_EQ(c.rows, (std::vector<std::string>{"1 a", "5 g", "8 i"}));
  ASSERT_EQ(c.dead.size(), 9u);
  const std::string csv = "x,c\n1,a\n2\n3,b,c\nnope,e\n4,\"f";
  const std::vector<std::pair<std::string, std::string>> want = {
      {dir / "1.h5#0", dir / "1.h5"},
      {dir / "2.csv@0", dir / "2.csv: header lacks column c"},
      {dir / "3.csv@8", "expected 2 fields like the header, got 1"},
      {dir / "3.csv@10", "expected 2 fields like the header, got 3"},
      {dir / "3.csv@16", "column x: expected a number, got \"nope\""},
      {dir / "3.csv@23", "column c: unterminated quoted field"},
      {dir / "4.h5#1", "column x: expected a finite number, got inf"},
      {dir / "4.h5#2", "column c: invalid UTF-8"},
      {dir / "5.h5#0", dir / "5.h5: column \"c\""},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(c.dead[i].position, want[i].first) << i;
    EXPECT_EQ(c.dead[i].reason.rfind(want[i].second, 0), 0u) << i << ": " << c.dead[i].reason;
  }
  EXPECT_EQ(c.dead[5].record, "4,\"f");
  EXPECT_EQ(c.ends.back().file, dir / "6.h5");
  EXPECT_EQ(c.ends.back().records, 12);
}

TEST(StreamFolderTest, CategoricalCodesAndJsonLinesChunks) {
  TempDir dir;
  Table t;
  t.columns.push_back(NumericColumn("x", DType::kI32, std::vector<int32_t>{1, 2}));
  t.columns.push_back(NumericColumn("c", DType::kI64, std::vector<int64_t>{40, -3}));
  WriteHdf5(dir / "a.h5", t);
  WriteFile(dir / "b.jsonl", "{\"x\": 3, \"c\": \"z\"}\n");
  auto source = stream::OpenChunkFolder(dir.path(), Schema(), "*", nullptr);
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_EQ(c.rows, (std::vector<std::string>{"1 40", "2 -3", "3 z"}));
}

TEST(StreamFolderTest, ResumeGivesExactlyTheRemainingRecords) {
  TempDir dir;
  WriteChunk(dir / "1.h5", {1, 2, 3}, {"a", "b", "c"});
  WriteFile(dir / "2.csv", "x,c\n4,d\nbad,x\n5,e\n");
  WriteFile(dir / "3.h5", "not HDF5");
  WriteFile(dir / "4.csv", "x,c\n6,f\n7,g\n");
  auto source = stream::OpenChunkFolder(dir.path(), Schema(), "*", nullptr);
  const Collected all = ReadAll(source.get(), 2);
  EXPECT_EQ(all.rows, (std::vector<std::string>{"1 a", "2 b", "3 c", "4 d", "5 e", "6 f", "7 g"}));
  ASSERT_EQ(all.dead.size(), 2u);
  const int64_t total = all.ends.back().records;
  EXPECT_EQ(total, 9);
  for (const StreamPosition& at : all.ends) {
    const StreamPosition back = StreamPosition::FromJson(at.ToJson());
    auto resumed = stream::OpenChunkFolder(dir.path(), Schema(), "*", &back);
    EXPECT_EQ(resumed->Position().Describe(), at.Describe());
    const Collected rest = ReadAll(resumed.get(), 3);
    const int64_t dead_done = static_cast<int64_t>(all.dead.size() - rest.dead.size());
    const int64_t rows_done = at.records - dead_done;
    ASSERT_LE(rows_done, static_cast<int64_t>(all.rows.size())) << at.Describe();
    EXPECT_EQ(rest.rows, std::vector<std::string>(all.rows.begin() + rows_done, all.rows.end()))
        << at.Describe();
    const int64_t end = rest.ends.empty() ? at.records : rest.ends.back().records;
    EXPECT_EQ(end, total) << at.Describe();
  }
}

TEST(StreamFolderTest, UnlistableFolderIsADataError) {
  const std::string m = MessageOf<DataError>(
      [] { stream::OpenChunkFolder("/nonexistent/chunks", Schema(), "*", nullptr); });
  EXPECT_NE(m.find("/nonexistent/chunks"), std::string::npos) << m;
}

}  // namespace
}  // namespace freshet
