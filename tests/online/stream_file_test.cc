// The followed file source: waiting for the file, appends, rotation, truncation and resuming.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "freshet/stream.hpp"
#include "io/test_util.h"
#include "src/online/stream_internal.h"

namespace freshet {
namespace {

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

void Append(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

int64_t Inode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return static_cast<int64_t>(st.st_ino);
}

TEST(StreamFileTest, WaitsForTheFileAndReadsWhatIsAppended) {
  TempDir dir;
  const std::string path = dir / "events.csv";
  auto source = stream::OpenFollowedFile(path, Schema(), nullptr);
  EXPECT_EQ(source->Describe(), path);
  RecordBatch b = source->Next(10, 0.15);
  EXPECT_EQ(b.records(), 0);
  EXPECT_EQ(b.end.kind, "file");
  EXPECT_EQ(b.end.file, path);
  EXPECT_EQ(b.end.offset, 0);

  WriteFile(path, "x,c\n1,a\n2,b\n3,");
  b = source->Next(2, 2.0);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"1 a", "2 b"}));
  EXPECT_EQ(b.end.offset, 12);
  EXPECT_EQ(b.end.inode, Inode(path));
  EXPECT_EQ(b.end.records, 2);
  b = source->Next(10, 0.15);
  EXPECT_EQ(b.records(), 0) << "the last record is not finished";
  EXPECT_EQ(b.end.offset, 12);
  Append(path, "c\n4,\"d\n");
  b = source->Next(10, 0.15);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"3 c"});
  EXPECT_EQ(b.end.offset, 16);
  Append(path, "d\"\n");
  b = source->Next(1, 5.0);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"4 d\nd"});
  EXPECT_EQ(b.end.records, 4);
  EXPECT_FALSE(source->Finished());
}

TEST(StreamFileTest, RotationReadsTheOldFileToItsEndThenTheNewOne) {
  TempDir dir;
  const std::string path = dir / "events.csv";
  WriteFile(path, "x,c\n1,a\n");
  const int64_t old_inode = Inode(path);
  auto source = stream::OpenFollowedFile(path, Schema(), nullptr);
  RecordBatch b = source->Next(1, 2.0);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"1 a"});

  Append(path, "2,b\n");
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  Append(path + ".1", "3,c");  // written after the move, and without a line end
  b = source->Next(10, 0.3);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"2 b"})) << "the file is gone: wait";
  EXPECT_EQ(b.end.inode, old_inode);

  WriteFile(path, "x,c\n4,d\n5,");
  b = source->Next(10, 0.5);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"3 c", "4 d"}));
  EXPECT_EQ(b.end.inode, Inode(path));
  EXPECT_NE(b.end.inode, old_inode);
  EXPECT_EQ(b.end.offset, 8);
  EXPECT_EQ(b.end.records, 4);
}

TEST(StreamFileTest, RotationWithTheNewFileAlreadyThere) {
  TempDir dir;
  const std::string path = dir / "events.jsonl";
  WriteFile(path, "{\"x\": 1}\n");
  StreamSchema schema = Schema();
  schema.format = "jsonl";
  auto source = stream::OpenFollowedFile(path, schema, nullptr);
  EXPECT_EQ(source->Next(1, 2.0).records(), 1);
  Append(path, "{\"x\": 2}\n");
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  WriteFile(path, "{\"x\": 3}\n{\"x\": 4}\n");
  const RecordBatch b = source->Next(3, 2.0);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"2 -", "3 -", "4 -"}));
  EXPECT_EQ(b.end.offset, 18);
}

TEST(StreamFileTest, TruncationStartsAgainFromTheStart) {
  TempDir dir;
  const std::string path = dir / "events.csv";
  WriteFile(path, "x,c\n1,a\n2,b\n");
  const int64_t inode = Inode(path);
  auto source = stream::OpenFollowedFile(path, Schema(), nullptr);
  EXPECT_EQ(source->Next(2, 2.0).records(), 2);
  WriteFile(path, "x,c\n9,z\n");  // the same inode, shorter
  ASSERT_EQ(Inode(path), inode);
  const RecordBatch b = source->Next(1, 2.0);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"9 z"});
  EXPECT_EQ(b.end.offset, 8);
  EXPECT_EQ(b.end.inode, inode);
  EXPECT_EQ(b.end.records, 3);
}

TEST(StreamFileTest, ResumeGivesExactlyTheRemainingRecords) {
  TempDir dir;
  const std::string path = dir / "events.csv";
  WriteFile(path, "x,c\n1,a\n2,b\nbad,c\n3,\"c\nc\"\n\n4,d\n5,e\n6,f\n");
  const std::vector<std::string> all = {"1 a", "2 b", "3 c\nc", "4 d", "5 e", "6 f"};
  std::vector<StreamPosition> ends;
  {
    auto source = stream::OpenFollowedFile(path, Schema(), nullptr);
    std::vector<std::string> rows;
    for (int i = 0; i < 4; ++i) {
      const RecordBatch b = source->Next(2, 1.0);
      for (const std::string& r : Rows(b.table)) rows.push_back(r);
      ends.push_back(b.end);
    }
    EXPECT_EQ(rows, all);
  }
  for (const StreamPosition& at : ends) {
    auto resumed = stream::OpenFollowedFile(path, Schema(), &at);
    EXPECT_EQ(resumed->Position().offset, at.offset);
    const RecordBatch b = resumed->Next(100, 0.2);
    const int64_t dead_before = at.records >= 3 ? 1 : 0;
    EXPECT_EQ(Rows(b.table),
              std::vector<std::string>(all.begin() + (at.records - dead_before), all.end()))
        << at.Describe();
    EXPECT_EQ(b.end.records, 7) << at.Describe();
  }
}

TEST(StreamFileTest, ResumeOnANewInodeOrAShorterFileStartsAtTheStart) {
  TempDir dir;
  const std::string path = dir / "events.csv";
  WriteFile(path, "x,c\n1,a\n2,b\n");
  StreamPosition at;
  {
    auto source = stream::OpenFollowedFile(path, Schema(), nullptr);
    at = source->Next(2, 1.0).end;
  }
  ASSERT_EQ(at.offset, 12);
  WriteFile(path + ".new", "x,c\n7,g\n8,h\n9,i\n");
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
  auto rotated = stream::OpenFollowedFile(path, Schema(), &at);
  RecordBatch b = rotated->Next(100, 0.2);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"7 g", "8 h", "9 i"}));
  EXPECT_EQ(b.end.records, 5);

  at = b.end;
  WriteFile(path, "x,c\n5,e\n");  // the same inode, shorter than the position
  auto truncated = stream::OpenFollowedFile(path, Schema(), &at);
  b = truncated->Next(100, 0.2);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"5 e"});
}

}  // namespace
}  // namespace freshet
