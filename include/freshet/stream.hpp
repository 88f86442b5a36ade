// The sources of `freshet online`: standard input, a file being appended to (followed like
// `tail -F`), and a folder where chunk files arrive. Each yields micro-batches of records parsed
// into a Table with the schema's columns, records that fail parsing or the schema as dead letters,
// and the exact position after the last record it returned, from which a restarted run resumes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/io.hpp"
#include "freshet/table.hpp"

namespace freshet {

// Where a source stands: after the last record returned.
//   stdin   offset = bytes consumed from the start of standard input
//   file    file = the followed path, offset = bytes consumed of the file currently at that path
//           (identified by inode, so that a rotation is noticed), inode
//   folder  file = the chunk being read ("" before the first), offset = rows consumed of it;
//           every chunk whose name sorts before `file` is done
// `records` counts the records (good and dead letters) consumed since the stream's start.
struct StreamPosition {
  std::string kind;  // stdin | file | folder
  std::string file;
  int64_t offset = 0;
  int64_t inode = 0;
  int64_t records = 0;

  nlohmann::json ToJson() const;
  static StreamPosition FromJson(const nlohmann::json& j);
  // "stdin@1234", "events.csv@1234", "chunks/0003.h5#17".
  std::string Describe() const;
};

// A record refused by the parser or the schema. `position` is where the record starts (a byte
// offset for text sources, "chunk#row" for chunk files), `record` its text (at most 1 KiB of it).
struct DeadLetter {
  std::string position;
  std::string reason;  // one line naming the column: "column age: expected a number, got \"x\""
  std::string record;
};

struct RecordBatch {
  Table table;                   // the good records, schema columns in schema order
  std::vector<DeadLetter> dead;  // the refused ones, in stream order
  StreamPosition end;            // after the last record of the batch (good or dead)
  int64_t records() const { return table.rows() + static_cast<int64_t>(dead.size()); }
};

// What a record must hold. Every column may be empty in a record (missing); a numeric column's
// value must parse as a number (a JSON number, or a CSV field strtod reads completely, "nan" and
// "inf" refused); a categorical one is a string (a JSON string, or a JSON number written as its
// decimal text). CSV records have the header's columns (extra columns are ignored, a missing
// schema column makes every record a dead letter "header lacks column X"); JSON lines are
// objects (unknown keys ignored). Numeric columns come out as f64, categorical ones as strings.
struct StreamSchema {
  std::vector<ColumnRequest> columns;
  std::string format = "csv";  // csv | jsonl (chunk files: by extension, .h5/.hdf5/.csv)
  std::string hdf5_group = "/";
  int64_t max_record_bytes = 1 << 20;  // a longer line is a dead letter, skipped without holding it
};

class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // Up to `max_rows` records. Returns as soon as max_rows records are read, or `wait_seconds`
  // after the call when fewer are available (possibly none). Never blocks longer than
  // wait_seconds plus one read; a followed file or a folder waits for more data, standard input
  // returns what it has at end of input.
  virtual RecordBatch Next(int64_t max_rows, double wait_seconds) = 0;
  // True once standard input reached its end and everything was returned (never for the others).
  virtual bool Finished() const = 0;
  // The position after the last record returned (the start position before the first call).
  virtual StreamPosition Position() const = 0;
  // What the source reads, for logs and the manifest ("-", the path).
  virtual std::string Describe() const = 0;
};

// Opens `path`: "-" is standard input, a folder is a chunk folder (files matching `pattern`,
// each processed once, in name order; a file that is still growing is read once its size has
// stayed the same for one poll), anything else a followed file (it need not exist yet; reading
// continues across rotation — a new inode at the path — and truncation, both logged).
// `resume`, when given, is a position this source returned in an earlier run: reading continues
// right after it (standard input skips `offset` bytes of the new input, which must replay the
// stream from its start; a followed file whose inode changed starts at the new file's start).
// Throws DataError naming the path when it cannot be opened, ConfigError for a position of
// another kind.
std::unique_ptr<StreamSource> OpenStreamSource(const std::string& path, const StreamSchema& schema,
                                               const std::string& pattern,
                                               const StreamPosition* resume);

}  // namespace freshet
