// The POSIX Env: every call is a system call, so failures carry errno and the path.
#include "freshet/env.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "freshet/error.hpp"

namespace freshet {
namespace {

[[noreturn]] void Fail(const std::string& op, const std::string& path, int err) {
  throw IoError(path + ": " + op + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // close(2) can report a deferred write error (NFS, some full disks): checked, not ignored.
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::vector<std::string> List(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
  if (!dir) Fail("list folder", path, errno);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir.get());
    if (e == nullptr) {
      if (errno != 0) Fail("list folder", path, errno);
      break;
    }
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class PosixEnv final : public Env {
 public:
  void WriteFile(const std::string& path, std::string_view data) override {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) Fail("create", path, errno);
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd.get(), p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Fail("write", path, errno);
      p += n;
      left -= static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) Fail("fsync", path, errno);
    if (fd.Close() != 0) Fail("close", path, errno);
  }

  std::string ReadFile(const std::string& path) override {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) Fail("open", path, errno);
    std::string out;
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Fail("read", path, errno);
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  void CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) != 0) Fail("create folder", path, errno);
  }

  void SyncDir(const std::string& path) override {
    Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) Fail("open folder for fsync", path, errno);
    if (::fsync(fd.get()) != 0) Fail("fsync folder", path, errno);
  }

  void Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) Fail("rename to " + to, from, errno);
  }

  void RemoveAll(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return;
      Fail("stat", path, errno);
    }
    if (S_ISDIR(st.st_mode)) {
      for (const auto& name : List(path)) RemoveAll(path + "/" + name);
      if (::rmdir(path.c_str()) != 0 && errno != ENOENT) Fail("remove folder", path, errno);
    } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      Fail("remove", path, errno);
    }
  }

  std::vector<std::string> ListDir(const std::string& path) override { return List(path); }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  bool IsDir(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv env;
  return &env;
}

}  // namespace freshet
