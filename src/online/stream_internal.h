// Private to the stream sources (include/freshet/stream.hpp): the batch builder, the record
// parsers (CSV, JSON lines) and the buffered text reader that all text sources share, value
// checks, and the factories of the three sources (the unit tests open them directly: an fd source
// on a pipe, a followed file, a chunk folder).
//
// Value rules, common to every source:
//   numeric      a CSV field (spaces and tabs around it ignored) that std::from_chars reads
//                completely, or failing that strtod in the C locale (a leading '+', hex); a JSON
//                number. NaN and infinities are refused, and so are JSON strings and booleans
//                (`"12"` is not a number). Empty field, JSON null or an absent key: missing.
//   categorical  the field's bytes as they are (no trimming; "" undoubled); a JSON string, or a
//                JSON number as the text it was written with. Empty: missing. The bytes must be
//                valid UTF-8.
// A record that breaks a rule is a dead letter whose reason names the column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "freshet/stream.hpp"

namespace freshet {
namespace stream {

// How often a followed file or a chunk folder is looked at while a Next call waits.
constexpr double kPollSeconds = 0.05;
// At most this much of a refused record's text goes into its dead letter.
constexpr size_t kMaxDeadRecordText = 1024;

// True when [b, e) is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool ValidUtf8(const char* b, const char* e);

// Parses [b, e) as a finite double (the numeric rule above, without the trimming). REQUIRES: the
// byte at `e` is readable (strtod stops there: it must not continue a number).
bool ParseFiniteNumber(const char* b, const char* e, double* out);

// A value for an error message: on one line, at most 40 bytes of it, then "...".
std::string Printable(const char* b, const char* e);

// The columns of one batch while records are parsed into it, and its dead letters. Appends for
// one record go to every column in any order, then EndRow(); the parsers check a whole record
// before they append any of it, so a refused record leaves nothing behind.
class BatchBuilder {
 public:
  explicit BatchBuilder(std::vector<ColumnRequest> columns);

  const std::vector<ColumnRequest>& columns() const { return columns_; }
  void Reserve(int64_t rows);

  void AppendNumber(size_t col, double value) {
    Out& o = outs_[col];
    o.numbers.push_back(value);
    if (!o.valid.empty()) o.valid.push_back(1);
  }
  void AppendString(size_t col, const char* b, const char* e) {
    Out& o = outs_[col];
    if (e - b <= 16) {
      for (; b < e; ++b) o.bytes.push_back(*b);
    } else {
      o.bytes.insert(o.bytes.end(), b, e);
    }
    o.offsets.push_back(static_cast<int64_t>(o.bytes.size()));
    if (!o.valid.empty()) o.valid.push_back(1);
  }
  // A CSV field's content in which each "" stands for one quote.
  void AppendUndoubled(size_t col, const char* b, const char* e);
  void AppendMissing(size_t col);
  void EndRow() { ++rows_; }

  // A refused record: `record` is cut to kMaxDeadRecordText bytes.
  void AddDead(std::string position, std::string reason, const char* b, const char* e);
  void AddDead(DeadLetter dead);

  int64_t rows() const { return rows_; }
  int64_t records() const { return rows_ + static_cast<int64_t>(dead_.size()); }

  // Hands over the rows and dead letters gathered so far and starts an empty batch.
  void Take(RecordBatch* batch);
  // Drops everything gathered so far.
  void Clear();

 private:
  struct Out {
    std::vector<double> numbers;
    std::vector<char> bytes;
    std::vector<int64_t> offsets{0};
    std::vector<uint8_t> valid;  // empty while every value is present
  };
  std::vector<ColumnRequest> columns_;
  std::vector<Out> outs_;
  std::vector<DeadLetter> dead_;
  int64_t rows_ = 0;
};

// Where the parsed bytes are in the stream, to name a dead letter's position: the byte at
// `origin` is at stream offset `base`, and positions are written `prefix` + offset.
struct ByteOrigin {
  const char* origin = nullptr;
  int64_t base = 0;
  const std::string* prefix = nullptr;

  std::string Position(const char* p) const {
    return *prefix + std::to_string(base + (p - origin));
  }
};

// Turns text into records. Implementations keep what they learn across calls (the CSV header).
class RecordParser {
 public:
  enum Outcome {
    kStopped,     // `max_records` reached, or the bytes ended at a record boundary
    kIncomplete,  // *p is at a record whose end is not in the bytes yet (never when `final`)
  };

  virtual ~RecordParser() = default;

  // Parses records from [*p, end) into `out` until it holds `max_records` (good and dead),
  // moving *p past each record and each blank line. `final`: no more bytes will follow, so a last
  // record without a line end is whole and an open quote is a dead letter. A record longer than
  // the limit that is whole in the bytes is a dead letter here. A CSV header (not a record) is
  // read even when `out` is already full. REQUIRES: *end == '\0'.
  virtual Outcome Parse(const char** p, const char* end, bool final, int64_t max_records,
                        const ByteOrigin& where, BatchBuilder* out) = 0;

  // Starts skipping the too-long record at which Parse stopped with kIncomplete. Returns false
  // when that record is not one (a CSV header: the parser then refuses every record after it).
  virtual bool BeginSkip() = 0;
  // Scans on through the record being skipped: returns the byte after its end (its line end
  // included), or nullptr when it goes on past `end`.
  virtual const char* SkipOn(const char* p, const char* end) = 0;

  // Forgets the header: the next bytes start a new file.
  virtual void Restart() = 0;
  // True once the bytes before the first record (a CSV header) are read.
  virtual bool Ready() const = 0;
  // Why every record is refused ("header lacks column x"), or "" when they are not.
  virtual const std::string& HeaderError() const = 0;
};

// `format` is "csv" or "jsonl"; anything else is a ConfigError.
std::unique_ptr<RecordParser> MakeRecordParser(const std::string& format,
                                               const StreamSchema& schema);
std::unique_ptr<RecordParser> MakeCsvParser(const StreamSchema& schema);
std::unique_ptr<RecordParser> MakeJsonlParser(const StreamSchema& schema);

// Reads records out of a stream of bytes that arrive piecewise: holds the bytes in one buffer
// (grown only as far as max_record_bytes needs), hands them to a RecordParser, keeps the bytes of
// an unfinished record for the next call, and skips a too-long record as it streams past (one
// dead letter "record longer than N bytes" with its first 1 KiB, and never more than the buffer
// held). Offsets count bytes from the start of the current file (Restart sets them).
class TextReader {
 public:
  // Dead letter positions are written `position_prefix` + byte offset.
  TextReader(const StreamSchema& schema, const std::string& format, std::string position_prefix);
  ~TextReader();

  // Room for the next bytes: returns where to write them and sets `*room` (> 0). Moves an
  // unfinished record to the front of the buffer first.
  char* Room(size_t* room);
  // `n` bytes were written at Room().
  void Filled(size_t n);

  // Parses the buffered records into `out` until it holds `max_records`. `final` as in
  // RecordParser::Parse: with it, everything buffered is consumed if `out` has room.
  void Parse(BatchBuilder* out, int64_t max_records, bool final);

  // The offset after the last record parsed (where a resumed run starts reading); while bytes
  // are dropped to reach SkipTo's offset, that offset.
  int64_t offset() const;
  // The offset after the last byte handed in with Filled().
  int64_t read_offset() const { return base_ + static_cast<int64_t>(end_); }
  // Records (good and dead) parsed since the construction.
  int64_t records() const { return records_; }
  // Nothing buffered is left to parse.
  bool Drained() const { return begin_ == end_ && !skipping_; }

  // Drops the buffered bytes and the parser's header: the next bytes are those of a new file (or
  // of a truncated one) at `offset`.
  void Restart(int64_t offset);
  // Resuming: once the header is read, the bytes before `offset` are dropped unparsed.
  void SkipTo(int64_t offset) { skip_to_ = offset; }
  // When the reader is dropping bytes to reach SkipTo's offset and holds none: that offset, so
  // that a seekable source can jump there (and then call Jumped). Otherwise -1.
  int64_t JumpTarget() const;
  // The source moved its read position to JumpTarget().
  void Jumped();

  RecordParser& parser() { return *parser_; }

 private:
  void StartSkipping();

  std::unique_ptr<RecordParser> parser_;
  std::string prefix_;
  int64_t max_record_bytes_;
  size_t limit_;  // the most the buffer grows to
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // first unparsed byte
  size_t end_ = 0;    // after the last byte read
  int64_t base_ = 0;  // the offset of buf_[0]
  int64_t consumed_ = 0;
  int64_t records_ = 0;
  int64_t skip_to_ = -1;
  bool skipping_ = false;
  bool skipped_counts_ = false;  // the record being skipped is a record (not a header)
  DeadLetter skipped_;           // its dead letter, handed out once its end is found
};

// Reads from `fd` (standard input, or a pipe in tests) until its end. Closes the fd on
// destruction only when `owns_fd`. `describe` is what Describe() returns ("-").
std::unique_ptr<StreamSource> OpenFdStream(int fd, bool owns_fd, const std::string& describe,
                                           const StreamSchema& schema,
                                           const StreamPosition* resume);

// Follows the file at `path` like `tail -F`.
std::unique_ptr<StreamSource> OpenFollowedFile(const std::string& path, const StreamSchema& schema,
                                               const StreamPosition* resume);

// Reads the chunk files in folder `path` that match `pattern`.
std::unique_ptr<StreamSource> OpenChunkFolder(const std::string& path, const StreamSchema& schema,
                                              const std::string& pattern,
                                              const StreamPosition* resume);

// The rows [begin, end) of a chunk read with ReadHdf5 into `out`: NaN is missing, an infinity or
// a string that is not UTF-8 makes the row a dead letter at "`path`#row", integer codes of a
// categorical column become their decimal text.
void AppendHdf5Rows(const Table& table, const std::string& path, int64_t begin, int64_t end,
                    BatchBuilder* out);

}  // namespace stream
}  // namespace freshet
