#include "freshet/registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "freshet/error.hpp"
#include "freshet/io.hpp"

namespace freshet {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const std::string& op, const std::string& path) {
  throw IoError(path + ": " + op + ": " + std::strerror(errno));
}

void FsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) Fail("open for fsync", path);
  if (::fsync(fd) != 0) {
    ::close(fd);
    Fail("fsync", path);
  }
  ::close(fd);
}

bool ParseVersion(const std::string& name, int64_t* number) {
  if (name.size() < 7 || name.size() > 19 || name[0] != 'v') return false;
  if (name.find_first_not_of("0123456789", 1) != std::string::npos) return false;
  *number = std::stoll(name.substr(1));
  return *number > 0 && VersionName(*number) == name;  // canonical names only
}

}  // namespace

std::string VersionName(int64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "v%06lld", static_cast<long long>(number));
  return buf;
}

VersionDraft::VersionDraft(VersionRef ref, std::string tmp) : ref_(std::move(ref)), tmp_(tmp) {}

VersionDraft::VersionDraft(VersionDraft&& o) noexcept
    : ref_(std::move(o.ref_)), tmp_(std::move(o.tmp_)), committed_(o.committed_) {
  o.committed_ = true;
}

VersionDraft::~VersionDraft() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
}

std::string VersionDraft::FilePath(const std::string& name) const { return tmp_ + "/" + name; }

void VersionDraft::WriteJson(const std::string& name, const nlohmann::json& value) const {
  const std::string path = FilePath(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << value.dump(2) << "\n";
  out.close();
  if (!out) Fail("write", path);
}

VersionRef VersionDraft::Commit(nlohmann::json manifest) {
  nlohmann::json artifacts = nlohmann::json::object();
  for (const auto& entry : fs::directory_iterator(tmp_)) {
    const std::string name = entry.path().filename().string();
    if (name == "manifest.json") continue;
    artifacts[name] = {{"sha256", Sha256File(entry.path().string())},
                       {"bytes", static_cast<int64_t>(entry.file_size())}};
  }
  manifest["artifacts"] = artifacts;
  WriteJson("manifest.json", manifest);
  for (const auto& entry : fs::directory_iterator(tmp_)) FsyncPath(entry.path().string(), false);
  FsyncPath(tmp_, true);
  if (fs::exists(ref_.path)) {
    throw IoError(ref_.path + ": version folder already exists; the registry was changed by hand");
  }
  if (std::rename(tmp_.c_str(), ref_.path.c_str()) != 0) Fail("rename into place", ref_.path);
  committed_ = true;
  FsyncPath(fs::path(ref_.path).parent_path().string(), true);
  return ref_;
}

Registry Registry::Open(const std::string& root, const std::string& model) {
  const std::string dir = fs::absolute(fs::path(root) / model).lexically_normal().string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir + ": create registry folder: " + ec.message());
  const std::string lock = dir + "/.lock";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) Fail("open lock file", lock);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      throw LockedError(lock + ": another freshet run holds the lock of model \"" + model + "\"");
    }
    errno = err;
    Fail("lock", lock);
  }
  // Holding the lock, any temporary folder is the remains of a run that died.
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".v", 0) == 0 && name.find(".tmp-") != std::string::npos) {
      fs::remove_all(entry.path(), ec);
    }
  }
  return Registry(dir, fd);
}

Registry::Registry(Registry&& o) noexcept : dir_(std::move(o.dir_)), lock_fd_(o.lock_fd_) {
  o.lock_fd_ = -1;
}

Registry::~Registry() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::vector<VersionRef> Registry::Versions() const {
  std::vector<VersionRef> out;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    int64_t number = 0;
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && ParseVersion(name, &number)) {
      out.push_back({number, name, entry.path().string()});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const VersionRef& a, const VersionRef& b) { return a.number < b.number; });
  return out;
}

std::optional<VersionRef> Registry::Latest() const {
  auto versions = Versions();
  if (versions.empty()) return std::nullopt;
  return versions.back();
}

nlohmann::json Registry::Manifest(const VersionRef& v) const {
  const std::string path = v.path + "/manifest.json";
  std::ifstream in(path);
  if (!in) Fail("read", path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(path + ": not valid JSON: " + e.what());
  }
}

VersionDraft Registry::NewVersion() const {
  const auto latest = Latest();
  VersionRef ref;
  ref.number = latest ? latest->number + 1 : 1;
  ref.name = VersionName(ref.number);
  ref.path = dir_ + "/" + ref.name;
  static int drafts = 0;  // two drafts of one process must not share a folder
  const std::string tmp = dir_ + "/." + ref.name + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(++drafts);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec) || ec) {
    throw IoError(tmp + ": create version folder: " + (ec ? ec.message() : "exists"));
  }
  return VersionDraft(ref, tmp);
}

}  // namespace freshet
