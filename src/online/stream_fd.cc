// The standard input source (any readable fd: the tests use a pipe). It waits for bytes with
// poll(2), so a Next call blocks at most until its deadline plus one read.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {
namespace {

using Clock = std::chrono::steady_clock;

class FdSource final : public StreamSource {
 public:
  FdSource(int fd, bool owns_fd, const std::string& describe, const StreamSchema& schema,
           const StreamPosition* resume)
      : fd_(fd),
        owns_fd_(owns_fd),
        describe_(describe),
        reader_(schema, schema.format, ""),
        builder_(schema.columns) {
    position_.kind = "stdin";
    position_.file = describe;
    if (resume != nullptr) {
      if (resume->kind != "stdin") {
        throw ConfigError("stream position " + resume->Describe() + " is of kind \"" +
                          resume->kind + "\" and cannot resume standard input");
      }
      reader_.SkipTo(resume->offset);
      start_records_ = resume->records;
      position_.offset = resume->offset;
      position_.records = resume->records;
    }
  }

  ~FdSource() override {
    if (owns_fd_) close(fd_);
  }

  RecordBatch Next(int64_t max_rows, double wait_seconds) override {
    const Clock::time_point deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(std::max(0.0, wait_seconds)));
    builder_.Reserve(max_rows);
    for (;;) {
      reader_.Parse(&builder_, max_rows, eof_);
      if (builder_.records() >= max_rows || eof_) break;
      const Clock::time_point now = Clock::now();
      const double left = std::chrono::duration<double>(deadline - now).count();
      const int timeout_ms = left <= 0 ? 0 : static_cast<int>(std::min(std::ceil(left * 1e3), 1e9));
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = poll(&pfd, 1, timeout_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) throw IoError(describe_ + ": cannot poll: " + std::strerror(errno));
      if (ready == 0) break;
      size_t room = 0;
      char* dst = reader_.Room(&room);
      const ssize_t n = read(fd_, dst, room);
      if (n > 0) {
        reader_.Filled(static_cast<size_t>(n));
      } else if (n == 0) {
        eof_ = true;
      } else if (errno != EINTR && errno != EAGAIN) {
        throw IoError(describe_ + ": cannot read: " + std::strerror(errno));
      }
      if (n > 0 && Clock::now() >= deadline) {
        reader_.Parse(&builder_, max_rows, false);
        break;
      }
    }
    if (eof_ && reader_.offset() > reader_.read_offset() && !warned_short_) {
      warned_short_ = true;
      spdlog::warn("{}: the input ended at byte {}, before the resume position (byte {})",
                   describe_, reader_.read_offset(), reader_.offset());
    }
    RecordBatch batch;
    builder_.Take(&batch);
    batch.end = Position();
    return batch;
  }

  bool Finished() const override { return eof_ && reader_.Drained(); }

  StreamPosition Position() const override {
    StreamPosition p = position_;
    p.offset = reader_.offset();
    p.records = start_records_ + reader_.records();
    return p;
  }

  std::string Describe() const override { return describe_; }

 private:
  int fd_;
  bool owns_fd_;
  std::string describe_;
  TextReader reader_;
  BatchBuilder builder_;
  StreamPosition position_;
  int64_t start_records_ = 0;
  bool eof_ = false;
  bool warned_short_ = false;
};

}  // namespace

std::unique_ptr<StreamSource> OpenFdStream(int fd, bool owns_fd, const std::string& describe,
                                           const StreamSchema& schema,
                                           const StreamPosition* resume) {
  return std::make_unique<FdSource>(fd, owns_fd, describe, schema, resume);
}

}  // namespace stream
}  // namespace freshet
