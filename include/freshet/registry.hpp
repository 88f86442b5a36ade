// The model registry on disk: registry/<model>/v000001/, ... Each version folder is written under a
// hidden temporary name, fsynced and renamed into place, so a reader never sees half a version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace freshet {

struct VersionRef {
  int64_t number = 0;
  std::string name;  // "v000042"
  std::string path;  // absolute folder
};

// "v000042" for 42.
std::string VersionName(int64_t number);

class Registry;

// A version being written. Files go into a hidden temporary folder; Commit() writes manifest.json
// (with the SHA-256 of every other file added under "artifacts"), fsyncs everything and renames the
// folder into place. A draft destroyed without Commit() removes its folder. Not thread-safe.
class VersionDraft {
 public:
  VersionDraft(VersionDraft&& other) noexcept;
  VersionDraft(const VersionDraft&) = delete;
  VersionDraft& operator=(const VersionDraft&) = delete;
  ~VersionDraft();

  const VersionRef& ref() const { return ref_; }
  // Where a file called `name` of this version is to be written (by whoever writes it).
  std::string FilePath(const std::string& name) const;
  // Writes `value` as pretty-printed JSON to the file `name`. Throws IoError.
  void WriteJson(const std::string& name, const nlohmann::json& value) const;
  // Publishes the version. Throws IoError (and leaves nothing visible) on failure.
  VersionRef Commit(nlohmann::json manifest);

 private:
  friend class Registry;
  VersionDraft(VersionRef ref, std::string tmp);
  VersionRef ref_;
  std::string tmp_;
  bool committed_ = false;
};

// The versions of one model. Holds the model's lock (an flock on <root>/<model>/.lock) from
// Open() until destruction, so two runs never write the same model at once.
class Registry {
 public:
  // Creates <root>/<model>/ if needed, takes the lock, and removes temporary folders that an
  // interrupted run left behind. Throws LockedError when another process holds the lock, IoError
  // when the folder cannot be created.
  static Registry Open(const std::string& root, const std::string& model);
  Registry(Registry&& other) noexcept;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  // Published versions, oldest first.
  std::vector<VersionRef> Versions() const;
  std::optional<VersionRef> Latest() const;
  // Reads a published version's manifest.json. Throws IoError naming the file.
  nlohmann::json Manifest(const VersionRef& v) const;
  // Starts the next version (latest + 1).
  VersionDraft NewVersion() const;

  const std::string& model_dir() const { return dir_; }

 private:
  Registry(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  std::string dir_;
  int lock_fd_ = -1;
};

}  // namespace freshet
