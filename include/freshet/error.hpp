// Exceptions thrown by the freshet library. Each carries the kind of failure, which src/cli/ maps
// to the exit codes in DESIGN.md; the message is one line naming the file, column or key involved.
#pragma once

#include <stdexcept>
#include <string>

namespace freshet {

enum class ErrorKind {
  kUsage,     // bad flag or config: exit 2
  kData,      // the input data is unreadable or breaks the schema: exit 5
  kLocked,    // another run holds the model's lock: exit 6
  kIo,        // a file or the registry could not be read or written: exit 1
  kInternal,  // anything else: exit 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// A config key or command-line flag is unknown, missing or of the wrong type. The message starts
// with the key path (`train.lr: expected a number, got "fast"`).
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(ErrorKind::kUsage, what) {}
};

// An input file, column or record is unreadable or does not match what the config declares. The
// message starts with the file (and names the column or row where one is known).
class DataError : public Error {
 public:
  explicit DataError(const std::string& what) : Error(ErrorKind::kData, what) {}
};

// A file system or registry operation failed. The message names the path and the operation.
class IoError : public Error {
 public:
  explicit IoError(const std::string& what) : Error(ErrorKind::kIo, what) {}
};

// A file freshet wrote (features.json, a model's files, a manifest) is unreadable, malformed or
// does not match its recorded checksum. One type, and one exit code (1), for every verb that reads
// one. The message names the file.
class ArtifactError : public IoError {
 public:
  explicit ArtifactError(const std::string& what) : IoError(what) {}
};

// Another process holds the model's lock.
class LockedError : public Error {
 public:
  explicit LockedError(const std::string& what) : Error(ErrorKind::kLocked, what) {}
};

// Throws Error(kInternal) with file:line context when `cond` is false. For preconditions that a
// caller inside freshet must meet; never for user input.
#define FRESHET_CHECK(cond, msg)                                                      \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      throw ::freshet::Error(::freshet::ErrorKind::kInternal,                         \
                             std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                 ": check failed: " #cond ": " + std::string(msg));   \
    }                                                                                 \
  } while (0)

}  // namespace freshet
