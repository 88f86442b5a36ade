// The standard input source (on a pipe or a file's fd), the CSV and JSON lines record parsers
// with their dead letters, the text reader's skipping of too-long records, StreamPosition's JSON,
// and OpenStreamSource.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/stream.hpp"
#include "io/test_util.h"
#include "src/online/stream_internal.h"

namespace freshet {
namespace {

using testing::MessageOf;
using testing::TempDir;
using testing::WriteFile;

StreamSchema Schema(const std::string& format = "csv") {
  StreamSchema s;
  s.columns = {{"x", ColumnKind::kNumeric}, {"c", ColumnKind::kCategorical}};
  s.format = format;
  return s;
}

// Row r of a table as "x=1.5 c=a", a missing value as "-".
std::string Row(const Table& t, int64_t r) {
  std::string out;
  for (const Column& c : t.columns) {
    out += (out.empty() ? "" : " ") + c.name + "=";
    if (!c.is_valid(r)) {
      out += "-";
    } else if (c.is_string()) {
      out.append(c.bytes.data() + c.offsets[r], c.bytes.data() + c.offsets[r + 1]);
    } else {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%g", c.as_double(r));
      out += buf;
    }
  }
  return out;
}

std::vector<std::string> Rows(const Table& t) {
  std::vector<std::string> rows;
  for (int64_t r = 0; r < t.rows(); ++r) rows.push_back(Row(t, r));
  return rows;
}

// What a source returned over several batches: the good rows and the dead letters (each in
// stream order, kept apart as a batch keeps them), and the position after each batch.
struct Collected {
  std::vector<std::string> rows;
  std::vector<DeadLetter> dead;
  std::vector<StreamPosition> ends;  // after each batch
};

void Collect(const RecordBatch& b, Collected* out) {
  for (const std::string& r : Rows(b.table)) out->rows.push_back(r);
  for (const DeadLetter& d : b.dead) out->dead.push_back(d);
  out->ends.push_back(b.end);
}

// An fd source on a pipe holding `bytes`, closed after them (so the source sees the end).
std::unique_ptr<StreamSource> PipeSource(const std::string& bytes, const StreamSchema& schema,
                                         const StreamPosition* resume = nullptr) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  EXPECT_LT(bytes.size(), 60000u) << "a pipe holds 64 KiB";
  EXPECT_EQ(write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fds[1]);
  return stream::OpenFdStream(fds[0], true, "-", schema, resume);
}

Collected ReadAll(StreamSource* source, int64_t batch_rows) {
  Collected c;
  for (int i = 0; i < 100000 && !source->Finished(); ++i) {
    Collect(source->Next(batch_rows, 1.0), &c);
  }
  EXPECT_TRUE(source->Finished());
  return c;
}

TEST(StreamPositionTest, JsonRoundTrip) {
  StreamPosition p;
  p.kind = "file";
  p.file = "/data/events.csv";
  p.offset = 1234;
  p.inode = 987654321012;
  p.records = 42;
  const StreamPosition q = StreamPosition::FromJson(nlohmann::json::parse(p.ToJson().dump()));
  EXPECT_EQ(q.kind, p.kind);
  EXPECT_EQ(q.file, p.file);
  EXPECT_EQ(q.offset, p.offset);
  EXPECT_EQ(q.inode, p.inode);
  EXPECT_EQ(q.records, p.records);
  EXPECT_EQ(q.Describe(), "/data/events.csv@1234");
}

TEST(StreamPositionTest, Describe) {
  StreamPosition p;
  p.kind = "stdin";
  p.offset = 1234;
  EXPECT_EQ(p.Describe(), "stdin@1234");
  p.kind = "folder";
  p.file = "chunks/0003.h5";
  p.offset = 17;
  EXPECT_EQ(p.Describe(), "chunks/0003.h5#17");
}

TEST(StreamPositionTest, FromJsonRefusesBadInput) {
  EXPECT_NE(MessageOf<ConfigError>([] {
              StreamPosition::FromJson(nlohmann::json::array());
            }).find("expected an object"),
            std::string::npos);
  EXPECT_NE(MessageOf<ConfigError>([] {
              StreamPosition::FromJson({{"kind", "socket"}});
            }).find("kind"),
            std::string::npos);
  EXPECT_NE(MessageOf<ConfigError>([] {
              StreamPosition::FromJson({{"kind", "stdin"}, {"offset", "12"}});
            }).find("offset"),
            std::string::npos);
  const StreamPosition p = StreamPosition::FromJson({{"kind", "stdin"}});
  EXPECT_EQ(p.offset, 0);
  EXPECT_EQ(p.records, 0);
}

TEST(StreamFdTest, CsvRecordsAndPositions) {
  const std::string data = "x,c,extra\n1.5,a,z\n,b,z\n\n-2,\"q,\"\"r\"\"\ns\",z\n3,,z\n";
  auto source = PipeSource(data, Schema());
  EXPECT_EQ(source->Describe(), "-");
  EXPECT_EQ(source->Position().kind, "stdin");
  EXPECT_EQ(source->Position().offset, 0);
  RecordBatch b = source->Next(2, 1.0);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"x=1.5 c=a", "x=- c=b"}));
  ASSERT_EQ(b.table.columns.size(), 2u);
  EXPECT_EQ(b.table.columns[0].dtype, DType::kF64);
  EXPECT_EQ(b.table.columns[1].dtype, DType::kString);
  EXPECT_TRUE(b.table.columns[1].valid.empty()) << "every c present: no mask";
  EXPECT_EQ(b.end.offset, static_cast<int64_t>(data.find("-2")))
      << "the blank line after the last record is consumed with it";
  EXPECT_EQ(b.end.records, 2);
  EXPECT_FALSE(source->Finished());
  b = source->Next(10, 1.0);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"x=-2 c=q,\"r\"\ns", "x=3 c=-"}));
  EXPECT_TRUE(b.dead.empty());
  EXPECT_EQ(b.end.offset, static_cast<int64_t>(data.size()));
  EXPECT_EQ(b.end.records, 4);
  EXPECT_TRUE(source->Finished());
  EXPECT_EQ(source->Next(10, 0.0).records(), 0);
}

TEST(StreamFdTest, WaitsForTheRestOfARecord) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto source = stream::OpenFdStream(fds[0], true, "-", Schema(), nullptr);
  const std::string first = "x,c\n1,a\n2,\"b\n";
  ASSERT_EQ(write(fds[1], first.data(), first.size()), static_cast<ssize_t>(first.size()));
  RecordBatch b = source->Next(10, 0.1);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"x=1 c=a"});
  EXPECT_EQ(b.end.offset, 8);
  EXPECT_FALSE(source->Finished());
  const std::string rest = "b\"\r\n3,c";  // the last record has no line end
  ASSERT_EQ(write(fds[1], rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  b = source->Next(10, 0.1);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"x=2 c=b\nb"});
  EXPECT_EQ(b.end.offset, 17);
  close(fds[1]);
  b = source->Next(10, 0.1);
  EXPECT_EQ(Rows(b.table), std::vector<std::string>{"x=3 c=c"});
  EXPECT_EQ(b.end.offset, 20);
  EXPECT_TRUE(source->Finished());
}

TEST(StreamFdTest, MissingMaskOnlyWhenNeeded) {
  auto source = PipeSource("x,c\n1,a\n2,\n,b\n", Schema());
  const RecordBatch b = source->Next(10, 1.0);
  EXPECT_EQ(b.table.columns[0].valid, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(b.table.columns[1].valid, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(b.table.columns[1].offsets, (std::vector<int64_t>{0, 1, 1, 2}));
}

TEST(StreamFdTest, CsvDeadLetters) {
  const std::string data =
      "x,c\n"
      "1,a\n"
      "abc,b\n"              // not a number
      "nan,c\n"              // NaN refused
      "inf,c\n"              // and infinities
      "2,\"open\"x,3\n"      // text after the closing quote
      "3\n"                  // too few fields
      "4,d,e\n"              // too many
      "5,\xff\xfe\n"         // invalid UTF-8
      " 6 ,ok\n"             // spaces around a number are allowed
      "+7,\xc3\xa9\n"        // a leading + (strtod) and valid UTF-8
      "8,\"never closed\n";  // unterminated at the end of input
  auto source = PipeSource(data, Schema());
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_EQ(c.rows, (std::vector<std::string>{"x=1 c=a", "x=6 c=ok", "x=7 c=\xc3\xa9"}));
  ASSERT_EQ(c.dead.size(), 8u);
  auto at = [&](const char* record) { return std::to_string(data.find(record)); };
  const std::vector<std::pair<std::string, std::string>> want = {
      {at("abc,b"), "column x: expected a number, got \"abc\""},
      {at("nan,c"), "column x: expected a number, got \"nan\""},
      {at("inf,c"), "column x: expected a number, got \"inf\""},
      {at("2,\"open"), "column c: unexpected text after a closing quote"},
      {std::to_string(data.find("\n3\n") + 1), "expected 2 fields like the header, got 1"},
      {at("4,d,e"), "expected 2 fields like the header, got 3"},
      {at("5,\xff"), "column c: invalid UTF-8"},
      {at("8,\""), "column c: unterminated quoted field"},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(c.dead[i].position, want[i].first) << i;
    EXPECT_EQ(c.dead[i].reason, want[i].second) << i;
  }
  EXPECT_EQ(c.dead[0].record, "abc,b");
  EXPECT_EQ(c.dead[7].record, "8,\"never closed");
  EXPECT_EQ(c.ends.back().records, 11);
  EXPECT_EQ(c.ends.back().offset, static_cast<int64_t>(data.size()));
}

TEST(StreamFdTest, HeaderLacksAColumn) {
  auto source = PipeSource("x,d\n1,a\n2,b\n", Schema());
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_TRUE(c.rows.empty());
  ASSERT_EQ(c.dead.size(), 2u);
  EXPECT_EQ(c.dead[0].reason, "header lacks column c");
  EXPECT_EQ(c.dead[1].position, "8");
}

TEST(StreamFdTest, ByteOrderMarkAndCrlf) {
  auto source = PipeSource("\xEF\xBB\xBFx,c\r\n1,a\r\n\r\n2,\"b\"\r\n", Schema());
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_EQ(c.rows, (std::vector<std::string>{"x=1 c=a", "x=2 c=b"}));
  EXPECT_TRUE(c.dead.empty());
}

TEST(StreamFdTest, JsonLines) {
  const std::string data =
      "{\"x\": 1.5, \"c\": \"a\", \"other\": [1, {\"c\": 5}]}\n"
      "{\"c\": 12, \"x\": null}\n"
      "\n"
      "{\"x\": 2e0, \"c\": 1.50}\n"
      "{\"x\": \"3\", \"c\": \"b\"}\n"      // a string in a numeric column
      "{\"x\": 4, \"c\": true}\n"           // a boolean in a categorical column
      "{\"x\": 5, \"c\": {\"k\": 1}}\n"     // an object
      "[1, 2]\n"                            // not an object
      "{\"x\": 6, \"c\": \"d\"\n"           // malformed
      "{\"x\": 1e999}\n"                    // out of range (nlohmann's parse error)
      "{\"x\": \"\", \"c\": \"\"}\n"        // empty strings are missing
      "{\"c\": \"\\u00e9\", \"x\": -0.5}";  // no line end at the end of input
  auto at = [&](const char* record) { return std::to_string(data.find(record)); };
  auto source = PipeSource(data, Schema("jsonl"));
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_EQ(c.rows, (std::vector<std::string>{"x=1.5 c=a", "x=- c=12", "x=2 c=1.50", "x=- c=-",
                                              "x=-0.5 c=\xc3\xa9"}));
  ASSERT_EQ(c.dead.size(), 6u);
  EXPECT_EQ(c.dead[0].position, at("{\"x\": \"3\""));
  EXPECT_EQ(c.dead[0].reason, "column x: expected a number, got \"3\"");
  EXPECT_EQ(c.dead[1].position, at("{\"x\": 4,"));
  EXPECT_EQ(c.dead[1].reason, "column c: expected a string, got true");
  EXPECT_EQ(c.dead[2].reason, "column c: expected a string, got an object");
  EXPECT_EQ(c.dead[3].position, at("[1, 2]"));
  EXPECT_EQ(c.dead[3].reason, "expected a JSON object, got an array");
  EXPECT_EQ(c.dead[4].position, at("{\"x\": 6"));
  EXPECT_EQ(c.dead[4].reason.rfind("invalid JSON: parse error at column ", 0), 0u)
      << c.dead[4].reason;
  EXPECT_EQ(c.dead[4].record, "{\"x\": 6, \"c\": \"d\"");
  EXPECT_EQ(c.dead[5].reason, "invalid JSON: number overflow parsing '1e999'");
  EXPECT_EQ(c.ends.back().offset, static_cast<int64_t>(data.size()));
  EXPECT_EQ(c.ends.back().records, 11);
}

TEST(StreamFdTest, JsonInvalidUtf8IsADeadLetter) {
  auto source = PipeSource("{\"c\": \"\xff\"}\n{\"c\": \"ok\"}\n", Schema("jsonl"));
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_EQ(c.rows, std::vector<std::string>{"x=- c=ok"});
  ASSERT_EQ(c.dead.size(), 1u);
  EXPECT_EQ(c.dead[0].position, "0");
  EXPECT_NE(c.dead[0].reason.find("UTF-8"), std::string::npos) << c.dead[0].reason;
}

// Resuming from the position after any batch gives exactly the records after it.
void CheckResume(const std::string& data, const StreamSchema& schema) {
  auto source = PipeSource(data, schema);
  const Collected all = ReadAll(source.get(), 1000);
  ASSERT_GE(all.rows.size(), 5u);
  auto stepwise = PipeSource(data, schema);
  const Collected steps = ReadAll(stepwise.get(), 2);
  EXPECT_EQ(steps.rows, all.rows);
  for (const StreamPosition& at : steps.ends) {
    auto resumed = PipeSource(data, schema, &at);
    EXPECT_EQ(resumed->Position().offset, at.offset);
    const Collected rest = ReadAll(resumed.get(), 3);
    const int64_t done = at.records - static_cast<int64_t>(all.dead.size() - rest.dead.size());
    ASSERT_LE(done, static_cast<int64_t>(all.rows.size()));
    EXPECT_EQ(rest.rows, std::vector<std::string>(all.rows.begin() + done, all.rows.end()))
        << at.Describe();
    EXPECT_EQ(rest.ends.back().records, all.ends.back().records) << at.Describe();
  }
}

TEST(StreamFdTest, ResumeCsv) {
  CheckResume("x,c\n1,a\n2,b\nbad,c\n3,\"c\nc\"\n4,d\n5,e\n6,f\n", Schema());
}

TEST(StreamFdTest, ResumeJsonLines) {
  CheckResume("{\"x\":1}\n{\"x\":2}\n{\"x\":\"bad\"}\n{\"x\":3}\n\n{\"x\":4}\n{\"x\":5}\n{\"x\":6}",
              Schema("jsonl"));
}

TEST(StreamFdTest, ResumeRefusesAnotherKind) {
  StreamPosition p;
  p.kind = "file";
  p.file = "events.csv";
  EXPECT_NE(MessageOf<ConfigError>([&] { PipeSource("x,c\n", Schema(), &p); }).find("kind"),
            std::string::npos);
}

TEST(StreamFdTest, TenMegabyteLineIsSkippedAsItStreams) {
  TempDir dir;
  std::string data = "x,c\n1,a\n2,";
  data.append(10 << 20, 'y');
  data += "\n3,\"q\n";
  data.append(3 << 20, 'z');  // a quoted field of many lines
  data.append(",\n\"\n4,b\n");
  WriteFile(dir / "big.csv", data);
  StreamSchema schema = Schema();
  const int fd = open((dir / "big.csv").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto source = stream::OpenFdStream(fd, true, "-", schema, nullptr);
  const Collected c = ReadAll(source.get(), 100);
  EXPECT_EQ(c.rows, (std::vector<std::string>{"x=1 c=a", "x=4 c=b"}));
  ASSERT_EQ(c.dead.size(), 2u);
  EXPECT_EQ(c.dead[0].position, "8");
  EXPECT_EQ(c.dead[0].reason, "record longer than 1048576 bytes");
  EXPECT_EQ(c.dead[0].record, "2," + std::string(1022, 'y'));
  EXPECT_EQ(c.dead[1].position, std::to_string(data.find("3,\"q")));
}

TEST(StreamTextReaderTest, ALongRecordNeverFillsMoreThanTheLimit) {
  StreamSchema schema = Schema("jsonl");
  schema.max_record_bytes = 1000;
  stream::TextReader reader(schema, "jsonl", "");
  stream::BatchBuilder out(schema.columns);
  const std::string piece(64 << 10, 'a');
  size_t most = 0;
  auto feed = [&](const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      size_t room = 0;
      char* dst = reader.Room(&room);
      most = std::max(most, room);
      const size_t n = std::min(room, bytes.size() - done);
      std::memcpy(dst, bytes.data() + done, n);
      reader.Filled(n);
      done += n;
      reader.Parse(&out, 100, false);
    }
  };
  feed("{\"x\": 1}\n{\"c\": \"");
  for (int i = 0; i < 160; ++i) feed(piece);  // 10 MiB
  EXPECT_EQ(out.records(), 1);
  EXPECT_EQ(reader.offset(), 9) << "the long record has not ended";
  feed("\"}\n{\"x\": 2}\n");
  reader.Parse(&out, 100, true);
  EXPECT_LE(most, size_t{2} << 20);
  RecordBatch b;
  out.Take(&b);
  EXPECT_EQ(Rows(b.table), (std::vector<std::string>{"x=1 c=-", "x=2 c=-"}));
  ASSERT_EQ(b.dead.size(), 1u);
  EXPECT_EQ(b.dead[0].position, "9");
  EXPECT_EQ(b.dead[0].reason, "record longer than 1000 bytes");
  EXPECT_EQ(b.dead[0].record.size(), 1024u);
  EXPECT_EQ(reader.records(), 3);
}

// Feeds `data` to a TextReader in pieces of `piece` bytes, parsing after each, and returns the
// rows and dead letters ("position reason").
std::vector<std::string> FeedInPieces(const std::string& data, const StreamSchema& schema,
                                      size_t piece) {
  stream::TextReader reader(schema, schema.format, "");
  stream::BatchBuilder out(schema.columns);
  for (size_t done = 0; done < data.size();) {
    size_t room = 0;
    char* dst = reader.Room(&room);
    const size_t n = std::min({room, piece, data.size() - done});
    std::memcpy(dst, data.data() + done, n);
    reader.Filled(n);
    done += n;
    reader.Parse(&out, 1000, false);
  }
  reader.Parse(&out, 1000, true);
  EXPECT_TRUE(reader.Drained());
  EXPECT_EQ(reader.offset(), static_cast<int64_t>(data.size()));
  RecordBatch b;
  out.Take(&b);
  std::vector<std::string> seen = Rows(b.table);
  for (const DeadLetter& d : b.dead) seen.push_back(d.position + " " + d.reason);
  return seen;
}

TEST(StreamTextReaderTest, RecordsCutAtAnyByteParseTheSame) {
  const std::string csv =
      "\xEF\xBB\xBFx,\"c\"\r\n1,\"a,\"\"b\"\"\r\nc\"\r\n\r\n2,\"\"\n3,d\"e\n\"4\",\"x\"y\n5\n6,"
      "\xc3\xa9\r\n7,\"open";
  const std::string jsonl =
      "{\"x\": 1, \"c\": \"a\\\"b\"}\r\n\n{\"x\": 2.5e1}\n{\"x\": }\n[]\n{\"c\": 12}";
  for (const auto& [data, format] : {std::pair{csv, "csv"}, std::pair{jsonl, "jsonl"}}) {
    const std::vector<std::string> whole = FeedInPieces(data, Schema(format), data.size());
    EXPECT_GE(whole.size(), 5u);
    for (size_t piece = 1; piece <= 9; ++piece) {
      EXPECT_EQ(FeedInPieces(data, Schema(format), piece), whole) << format << " " << piece;
    }
  }
}

TEST(StreamTextReaderTest, RecordsUpToTheLimitFitAsTheBufferGrows) {
  StreamSchema schema = Schema();
  schema.max_record_bytes = 3 << 20;
  const std::string big(schema.max_record_bytes - 2, 'b');
  const std::string data = "x,c\n1," + big + "\n2,\"" + big.substr(1) + "\"\n3,c\n";
  const std::vector<std::string> seen = FeedInPieces(data, schema, 1 << 20);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "x=1 c=" + big) << "exactly max_record_bytes long";
  EXPECT_EQ(seen[1], "x=3 c=c");
  EXPECT_EQ(seen[2], std::to_string(data.find("2,")) + " record longer than 3145728 bytes");
}

TEST(StreamOpenTest, PicksTheSourceByPath) {
  TempDir dir;
  StreamPosition p;
  p.kind = "stdin";
  EXPECT_EQ(OpenStreamSource("-", Schema(), "", nullptr)->Describe(), "-");
  EXPECT_EQ(OpenStreamSource(dir.path(), Schema(), "*.csv", nullptr)->Position().kind, "folder");
  auto file = OpenStreamSource(dir / "later.csv", Schema(), "", nullptr);
  EXPECT_EQ(file->Position().kind, "file");
  EXPECT_EQ(file->Describe(), dir / "later.csv");
  EXPECT_NE(
      MessageOf<ConfigError>([&] { OpenStreamSource(dir.path(), Schema(), "*", &p); }).find("kind"),
      std::string::npos);
  EXPECT_NE(MessageOf<ConfigError>([&] {
              OpenStreamSource(dir / "f.csv", Schema(), "", &p);
            }).find("kind"),
            std::string::npos);
  EXPECT_NE(MessageOf<ConfigError>([&] {
              OpenStreamSource("-", Schema("xml"), "", nullptr);
            }).find("csv or jsonl"),
            std::string::npos);
}

TEST(StreamOpenTest, UnreadableFileIsADataError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every file";
  TempDir dir;
  WriteFile(dir / "secret.csv", "x,c\n");
  chmod((dir / "secret.csv").c_str(), 0);
  const std::string m =
      MessageOf<DataError>([&] { OpenStreamSource(dir / "secret.csv", Schema(), "", nullptr); });
  EXPECT_NE(m.find("secret.csv"), std::string::npos) << m;
}

}  // namespace
}  // namespace freshet
