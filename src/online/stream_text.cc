// TextReader: the buffer between a byte source and a record parser.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "freshet/error.hpp"
#include "src/online/stream_internal.h"

namespace freshet {
namespace stream {
namespace {

// Bytes asked for per read. Large enough that a read costs little per record; an unfinished
// record is moved to the front of the buffer before each one.
constexpr size_t kReadBytes = size_t{1} << 20;

}  // namespace

std::unique_ptr<RecordParser> MakeRecordParser(const std::string& format,
                                               const StreamSchema& schema) {
  if (format == "csv") return MakeCsvParser(schema);
  if (format == "jsonl") return MakeJsonlParser(schema);
  throw ConfigError("stream format: expected csv or jsonl, got \"" + format + "\"");
}

TextReader::TextReader(const StreamSchema& schema, const std::string& format,
                       std::string position_prefix)
    : parser_(MakeRecordParser(format, schema)),
      prefix_(std::move(position_prefix)),
      max_record_bytes_(schema.max_record_bytes) {
  if (max_record_bytes_ <= 0) {
    throw ConfigError("stream max_record_bytes: expected a number > 0, got " +
                      std::to_string(max_record_bytes_));
  }
  // A partial record one byte past the limit must fit, to be seen as too long.
  limit_ = std::max(kReadBytes, static_cast<size_t>(max_record_bytes_) + 2 + kReadBytes / 16);
  capacity_ = kReadBytes;
  buf_.reset(new char[capacity_ + 1]);
  buf_[0] = '\0';
}

TextReader::~TextReader() = default;

char* TextReader::Room(size_t* room) {
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    base_ += static_cast<int64_t>(begin_);
    end_ -= begin_;
    begin_ = 0;
    buf_[end_] = '\0';
  }
  if (end_ == capacity_) {
    FRESHET_CHECK(capacity_ < limit_, "a partial record fills the stream buffer");
    const size_t grown = std::min(limit_, capacity_ * 2);
    std::unique_ptr<char[]> bigger(new char[grown + 1]);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    capacity_ = grown;
  }
  *room = capacity_ - end_;
  return buf_.get() + end_;
}

void TextReader::Filled(size_t n) {
  end_ += n;
  buf_[end_] = '\0';
}

void TextReader::Parse(BatchBuilder* out, int64_t max_records, bool final) {
  for (;;) {
    if (out->records() >= max_records && parser_->Ready()) return;
    char* const buf = buf_.get();
    if (skipping_) {
      if (out->records() >= max_records) return;
      const char* stop = parser_->SkipOn(buf + begin_, buf + end_);
      if (stop == nullptr) {
        begin_ = end_;  // dropped: the offset stays at the record's start until its end is seen
        if (!final) return;
        stop = buf + end_;
      }
      begin_ = static_cast<size_t>(stop - buf);
      consumed_ = base_ + static_cast<int64_t>(begin_);
      skipping_ = false;
      if (skipped_counts_) {
        out->AddDead(std::move(skipped_));
        ++records_;
      }
      continue;
    }
    if (skip_to_ >= 0 && parser_->Ready()) {
      const int64_t at = base_ + static_cast<int64_t>(begin_);
      if (at < skip_to_) {
        begin_ += static_cast<size_t>(std::min<int64_t>(end_ - begin_, skip_to_ - at));
        consumed_ = base_ + static_cast<int64_t>(begin_);
        if (consumed_ < skip_to_) return;
      }
      skip_to_ = -1;
    }
    const char* p = buf + begin_;
    const char* const end = buf + end_;
    const ByteOrigin where{buf, base_, &prefix_};
    const int64_t before = out->records();
    // Before a skip, the header alone: the parser then stops, so the skip comes before records.
    const int64_t limit = skip_to_ >= 0 && !parser_->Ready() ? before : max_records;
    const RecordParser::Outcome outcome = parser_->Parse(&p, end, final, limit, where, out);
    records_ += out->records() - before;
    begin_ = static_cast<size_t>(p - buf);
    consumed_ = base_ + static_cast<int64_t>(begin_);
    if (outcome == RecordParser::kIncomplete && end - p > max_record_bytes_) {
      StartSkipping();
    } else if (limit == max_records || !parser_->Ready()) {
      return;
    }
  }
}

void TextReader::StartSkipping() {
  const char* rec = buf_.get() + begin_;
  skipping_ = true;
  skipped_counts_ = parser_->BeginSkip();
  if (!skipped_counts_) return;
  const char* e = rec + std::min<size_t>(end_ - begin_, kMaxDeadRecordText);
  skipped_ = DeadLetter{prefix_ + std::to_string(consumed_),
                        "record longer than " + std::to_string(max_record_bytes_) + " bytes",
                        std::string(rec, e)};
}

int64_t TextReader::offset() const { return skip_to_ > consumed_ ? skip_to_ : consumed_; }

void TextReader::Restart(int64_t offset) {
  begin_ = end_ = 0;
  buf_[0] = '\0';
  base_ = consumed_ = offset;
  skip_to_ = -1;
  skipping_ = false;
  parser_->Restart();
}

int64_t TextReader::JumpTarget() const {
  if (skip_to_ < 0 || !parser_->Ready() || begin_ != end_ || skipping_) return -1;
  return read_offset() < skip_to_ ? skip_to_ : -1;
}

void TextReader::Jumped() {
  begin_ = end_ = 0;
  buf_[0] = '\0';
  base_ = consumed_ = skip_to_;
  skip_to_ = -1;
}

}  // namespace stream
}  // namespace freshet
