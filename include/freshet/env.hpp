// The filesystem seam of the registry, after leveldb's Env: every file operation of publish,
// promote, gc and fsck goes through an Env, so that tests can replace it with one that fails or
// "crashes" at a chosen step (tests/registry/fault_env.h). The default Env calls POSIX directly:
// no std::filesystem, no iostreams, so nothing on the registry's path can bind to another
// library's copy of a C++ runtime symbol.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace freshet {

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation. Never null; thread-safe.
  static Env* Default();

  // Creates or truncates `path`, writes `data` and fsyncs the file before returning. On failure
  // (ENOSPC, EIO, ...) throws IoError naming the path and the operation; what was written of the
  // file may remain, and the caller removes it.
  virtual void WriteFile(const std::string& path, std::string_view data) = 0;
  // The whole file. Throws IoError naming the path.
  virtual std::string ReadFile(const std::string& path) = 0;
  // Creates one folder (its parent must exist). Throws IoError, also when it exists.
  virtual void CreateDir(const std::string& path) = 0;
  // Fsyncs a folder, so that the names created, renamed or removed in it are durable.
  virtual void SyncDir(const std::string& path) = 0;
  // rename(2): atomic replacement within one filesystem. Throws IoError naming both paths.
  virtual void Rename(const std::string& from, const std::string& to) = 0;
  // Removes a file, or a folder and everything in it. A path that does not exist is no error.
  virtual void RemoveAll(const std::string& path) = 0;
  // The names in a folder (without "." and ".."), sorted. Throws IoError.
  virtual std::vector<std::string> ListDir(const std::string& path) = 0;
  // Whether the path exists, and whether it is a folder.
  virtual bool Exists(const std::string& path) = 0;
  virtual bool IsDir(const std::string& path) = 0;
  // A step that is not a file operation but can fail or crash like one: the registry calls it
  // just before committing an index transaction, with a short description of the step.
  virtual void Step(const std::string& what) { (void)what; }
};

}  // namespace freshet
