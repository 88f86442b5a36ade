// The followed file source, like `tail -F`: it waits for the file to appear, reads what is
// appended, and looks at the path every poll when it has read everything: a new inode there is a
// rotation (the old file is read to its end, then the new one from its start), a file shorter
// than what was read is a truncation (read again from its start).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {
namespace {

using Clock = std::chrono::steady_clock;

class FollowedFile final : public StreamSource {
 public:
  FollowedFile(const std::string& path, const StreamSchema& schema, const StreamPosition* resume)
      : path_(path), reader_(schema, schema.format, ""), builder_(schema.columns) {
    if (resume != nullptr) {
      if (resume->kind != "file") {
        throw ConfigError("stream position " + resume->Describe() + " is of kind \"" +
                          resume->kind + "\" and cannot resume the followed file " + path);
      }
      resume_ = *resume;
      has_resume_ = true;
      start_records_ = resume->records;
    }
    if (!TryOpen()) spdlog::info("{}: does not exist yet; waiting for it", path_);
  }

  ~FollowedFile() override {
    if (fd_ >= 0) close(fd_);
  }

  RecordBatch Next(int64_t max_rows, double wait_seconds) override {
    const Clock::time_point deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(std::max(0.0, wait_seconds)));
    builder_.Reserve(max_rows);
    for (;;) {
      bool progressed = false;
      if (fd_ < 0) {
        progressed = TryOpen();
      } else {
        reader_.Parse(&builder_, max_rows, old_file_ended_);
        if (builder_.records() >= max_rows) break;
        if (old_file_ended_) {
          SwitchToNewFile();
          continue;
        }
        const int64_t jump = reader_.JumpTarget();
        if (jump >= 0) {
          if (lseek(fd_, jump, SEEK_SET) < 0) {
            throw IoError(path_ + ": cannot seek to byte " + std::to_string(jump) + ": " +
                          std::strerror(errno));
          }
          reader_.Jumped();
        }
        progressed = ReadSome() > 0 || CheckPath();
      }
      const Clock::time_point now = Clock::now();
      if (now >= deadline) {
        if (progressed && fd_ >= 0) reader_.Parse(&builder_, max_rows, false);
        break;
      }
      if (!progressed) {
        std::this_thread::sleep_for(std::min<Clock::duration>(
            deadline - now, std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(kPollSeconds))));
      }
    }
    RecordBatch batch;
    builder_.Take(&batch);
    batch.end = Position();
    return batch;
  }

  bool Finished() const override { return false; }

  StreamPosition Position() const override {
    StreamPosition p;
    p.kind = "file";
    p.file = path_;
    if (fd_ >= 0) {
      p.offset = reader_.offset();
      p.inode = inode_;
    } else if (has_resume_) {
      p.offset = resume_.offset;
      p.inode = resume_.inode;
    }
    p.records = start_records_ + reader_.records();
    return p;
  }

  std::string Describe() const override { return path_; }

 private:
  // Opens the file at the path, if there is one. Throws DataError when it exists but cannot be
  // opened.
  bool TryOpen() {
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      throw DataError(path_ + ": cannot open: " + std::strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      const int err = errno;
      close(fd);
      throw DataError(path_ + ": cannot stat: " + std::strerror(err));
    }
    fd_ = fd;
    inode_ = static_cast<int64_t>(st.st_ino);
    dev_ = st.st_dev;
    reader_.Restart(0);
    if (has_resume_) {
      has_resume_ = false;
      if (resume_.inode != 0 && resume_.inode != inode_) {
        spdlog::info(
            "{}: inode {} is not the resume position's {} (the file was rotated): "
            "reading it from its start",
            path_, inode_, resume_.inode);
      } else if (st.st_size < resume_.offset) {
        spdlog::warn(
            "{}: holds {} bytes, fewer than the resume position's {} (truncated): "
            "reading it from its start",
            path_, static_cast<int64_t>(st.st_size), resume_.offset);
      } else {
        reader_.SkipTo(resume_.offset);
      }
    }
    return true;
  }

  ssize_t ReadSome() {
    size_t room = 0;
    char* dst = reader_.Room(&room);
    ssize_t n;
    do {
      n = read(fd_, dst, room);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw IoError(path_ + ": cannot read: " + std::strerror(errno));
    if (n > 0) reader_.Filled(static_cast<size_t>(n));
    return n;
  }

  // At the end of the open file: looks for a rotation or a truncation. Returns true when there
  // is something new to parse or read.
  bool CheckPath() {
    struct stat st;
    if (stat(path_.c_str(), &st) != 0) {
      if (!gone_)
        spdlog::warn("{}: gone ({}); waiting for it to come back", path_, std::strerror(errno));
      gone_ = true;
      return false;
    }
    gone_ = false;
    if (static_cast<int64_t>(st.st_ino) != inode_ || st.st_dev != dev_) {
      // Bytes written to the old file just before it was moved away come first.
      if (ReadSome() > 0) return true;
      old_file_ended_ = true;
      return true;
    }
    struct stat open_st;
    if (fstat(fd_, &open_st) == 0 && open_st.st_size < reader_.read_offset()) {
      spdlog::warn("{}: truncated to {} bytes (had read {}): reading it again from its start",
                   path_, static_cast<int64_t>(open_st.st_size), reader_.read_offset());
      if (lseek(fd_, 0, SEEK_SET) < 0) {
        throw IoError(path_ + ": cannot seek to its start: " + std::strerror(errno));
      }
      reader_.Restart(0);
      return true;
    }
    return false;
  }

  void SwitchToNewFile() {
    spdlog::info(
        "{}: rotated; read the old file (inode {}) to its end at byte {}, now reading "
        "the new one from its start",
        path_, inode_, reader_.read_offset());
    close(fd_);
    fd_ = -1;
    inode_ = 0;
    old_file_ended_ = false;
    TryOpen();
  }

  std::string path_;
  TextReader reader_;
  BatchBuilder builder_;
  int fd_ = -1;
  int64_t inode_ = 0;
  dev_t dev_ = 0;
  bool old_file_ended_ = false;  // rotated, and the old file is read to its end
  bool gone_ = false;
  bool has_resume_ = false;
  StreamPosition resume_;
  int64_t start_records_ = 0;
};

}  // namespace

std::unique_ptr<StreamSource> OpenFollowedFile(const std::string& path, const StreamSchema& schema,
                                               const StreamPosition* resume) {
  return std::make_unique<FollowedFile>(path, schema, resume);
}

}  // namespace stream
}  // namespace freshet
