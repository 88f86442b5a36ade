// The chunk folder source: the files matching a pattern, in name order, each read once. HDF5
// chunks are read whole with ReadHdf5; CSV and JSON lines chunks stream through a TextReader
// (a header per CSV chunk). A chunk that cannot be read at all is one dead letter.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {
namespace {

using Clock = std::chrono::steady_clock;

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

class ChunkFolder final : public StreamSource {
 public:
  ChunkFolder(const std::string& path, const StreamSchema& schema, const std::string& pattern,
              const StreamPosition* resume)
      : folder_(path),
        pattern_(pattern.empty() ? "*" : pattern),
        schema_(schema),
        builder_(schema.columns),
        scratch_(schema.columns) {
    // A bad format or limit fails here, not at the first text chunk.
    MakeRecordParser(schema.format, schema);
    if (schema.max_record_bytes <= 0) {
      throw ConfigError("stream max_record_bytes: expected a number > 0, got " +
                        std::to_string(schema.max_record_bytes));
    }
    if (resume != nullptr) {
      if (resume->kind != "folder") {
        throw ConfigError("stream position " + resume->Describe() + " is of kind \"" +
                          resume->kind + "\" and cannot resume the chunk folder " + path);
      }
      records_ = resume->records;
      if (!resume->file.empty()) {
        current_ = resume->file;
        name_ = BaseName(resume->file);
        rows_done_ = resume->offset;
        skip_rows_ = resume->offset;
        current_done_ = false;
      }
    }
    try {
      for (const std::string& p : DiscoverPartitions(folder_, pattern_))
        listed_.insert(BaseName(p));
    } catch (const IoError& e) {
      throw DataError(e.what());
    }
  }

  ~ChunkFolder() override { CloseChunk(); }

  RecordBatch Next(int64_t max_rows, double wait_seconds) override {
    const Clock::time_point deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(std::max(0.0, wait_seconds)));
    builder_.Reserve(max_rows);
    while (builder_.records() < max_rows) {
      if (open_ != kNone) {
        ReadChunk(max_rows);
        continue;
      }
      if (OpenNextChunk()) continue;
      const Clock::time_point now = Clock::now();
      if (now >= deadline) break;
      std::this_thread::sleep_for(std::min<Clock::duration>(
          deadline - now, std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(kPollSeconds))));
    }
    RecordBatch batch;
    builder_.Take(&batch);
    batch.end = Position();
    return batch;
  }

  bool Finished() const override { return false; }

  StreamPosition Position() const override {
    StreamPosition p;
    p.kind = "folder";
    p.file = current_;
    p.offset = rows_done_;
    p.records = records_;
    return p;
  }

  std::string Describe() const override { return folder_; }

 private:
  enum Open { kNone, kHdf5, kText };

  // Opens the first chunk after the current one, once its size has held for a poll. Returns
  // false when there is none yet.
  bool OpenNextChunk() {
    std::set<std::string> listed;
    bool found = false;
    for (const std::string& path : DiscoverPartitions(folder_, pattern_)) {
      const std::string name = BaseName(path);
      listed.insert(name);
      if (found) continue;
      if (!name_.empty() && (name < name_ || (name == name_ && current_done_))) {
        if (name < name_ && listed_.count(name) == 0) {
          spdlog::warn(
              "{}: chunk {} arrived after {}, which sorts after it, was read: it is "
              "skipped",
              folder_, name, name_);
        }
        continue;
      }
      found = true;
      if (!TakeIfSettled(path, name)) continue;
      listed_ = std::move(listed);
      return true;
    }
    listed_ = std::move(listed);
    return false;
  }

  // Opens the chunk if its size has not changed for a poll.
  bool TakeIfSettled(const std::string& path, const std::string& name) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return false;  // gone since the listing
    const Clock::time_point now = Clock::now();
    if (name != watched_ || static_cast<int64_t>(st.st_size) != watched_size_) {
      watched_ = name;
      watched_size_ = static_cast<int64_t>(st.st_size);
      watched_since_ = now;
      return false;
    }
    if (now - watched_since_ < std::chrono::duration<double>(kPollSeconds)) return false;
    StartChunk(path, name);
    return true;
  }

  void StartChunk(const std::string& path, const std::string& name) {
    if (name != name_) {
      rows_done_ = 0;
      skip_rows_ = 0;
    }
    current_ = path;
    name_ = name;
    current_done_ = false;
    watched_.clear();
    if (EndsWith(name, ".h5") || EndsWith(name, ".hdf5") || EndsWith(name, ".hdf")) {
      try {
        table_ = ReadHdf5(path, schema_.columns, schema_.hdf5_group);
      } catch (const Error& e) {
        DeadChunk("#0", e.what());
        return;
      }
      open_ = kHdf5;
      row_ = std::min<int64_t>(skip_rows_, table_.rows());
      skip_rows_ = 0;
      return;
    }
    const std::string format = EndsWith(name, ".csv") ? "csv"
                               : EndsWith(name, ".jsonl") || EndsWith(name, ".ndjson")
                                   ? "jsonl"
                                   : schema_.format;
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      DeadChunk("@0", path + ": cannot open: " + std::strerror(errno));
      return;
    }
    text_ = std::make_unique<TextReader>(schema_, format, path + "@");
    text_eof_ = false;
    header_checked_ = false;
    open_ = kText;
  }

  // The chunk is one dead letter, unless an earlier run already handed it out.
  void DeadChunk(const char* where, const std::string& reason) {
    spdlog::warn("{}", reason);
    if (skip_rows_ == 0) {
      builder_.AddDead(DeadLetter{current_ + where, reason, ""});
      ++records_;
      rows_done_ = 1;
    }
    skip_rows_ = 0;
    CloseChunk();
  }

  void CloseChunk() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    text_.reset();
    table_ = Table();
    open_ = kNone;
    current_done_ = true;
  }

  void ReadChunk(int64_t max_rows) {
    if (open_ == kHdf5) {
      const int64_t n = std::min(max_rows - builder_.records(), table_.rows() - row_);
      AppendHdf5Rows(table_, current_, row_, row_ + n, &builder_);
      row_ += n;
      rows_done_ += n;
      records_ += n;
      if (row_ == table_.rows()) CloseChunk();
      return;
    }
    while (!header_checked_) {
      text_->Parse(&builder_, builder_.records(), text_eof_);
      if (text_->parser().Ready() || text_eof_) {
        header_checked_ = true;
        const std::string& error = text_->parser().HeaderError();
        if (!error.empty()) return DeadChunk("@0", current_ + ": " + error);
      } else {
        Fill();
      }
    }
    while (skip_rows_ > 0) {
      const int64_t before = text_->records();
      text_->Parse(&scratch_, skip_rows_, text_eof_);
      skip_rows_ -= text_->records() - before;
      scratch_.Clear();
      if (text_eof_ && text_->Drained()) skip_rows_ = 0;
      if (skip_rows_ > 0) Fill();
    }
    for (;;) {
      const int64_t before = text_->records();
      text_->Parse(&builder_, max_rows, text_eof_);
      rows_done_ += text_->records() - before;
      records_ += text_->records() - before;
      if (text_eof_ && text_->Drained()) return CloseChunk();
      if (builder_.records() >= max_rows) return;
      Fill();
    }
  }

  // Reads the next bytes of a text chunk (the chunk no longer grows: its end is final).
  void Fill() {
    size_t room = 0;
    char* dst = text_->Room(&room);
    ssize_t n;
    do {
      n = read(fd_, dst, room);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw IoError(current_ + ": cannot read: " + std::strerror(errno));
    if (n == 0) text_eof_ = true;
    if (n > 0) text_->Filled(static_cast<size_t>(n));
  }

  std::string folder_;
  std::string pattern_;
  StreamSchema schema_;
  BatchBuilder builder_;
  BatchBuilder scratch_;  // the records a resumed run skips
  // The current chunk: the one being read, or the last one read.
  std::string current_;  // its path ("" before the first)
  std::string name_;     // its file name
  int64_t rows_done_ = 0;
  int64_t skip_rows_ = 0;  // resuming: records of it already handed out
  bool current_done_ = true;
  int64_t records_ = 0;
  // Its contents while it is open.
  Open open_ = kNone;
  Table table_;
  int64_t row_ = 0;
  int fd_ = -1;
  std::unique_ptr<TextReader> text_;
  bool text_eof_ = false;
  bool header_checked_ = false;
  // The next chunk, while its size settles.
  std::string watched_;
  int64_t watched_size_ = -1;
  Clock::time_point watched_since_;
  // The names of the last listing: a name sorting before the current chunk that is not among
  // them arrived late (warned about once).
  std::set<std::string> listed_;
};

}  // namespace

std::unique_ptr<StreamSource> OpenChunkFolder(const std::string& path, const StreamSchema& schema,
                                              const std::string& pattern,
                                              const StreamPosition* resume) {
  return std::make_unique<ChunkFolder>(path, schema, pattern, resume);
}

}  // namespace stream
}  // namespace freshet
