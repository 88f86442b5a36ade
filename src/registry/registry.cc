// Opening the registry, names, and the read side: versions, resolution, lineage, verified reads.
#include "freshet/registry.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "freshet/error.hpp"
#include "registry/index.h"
#include "registry/internal.h"

namespace freshet {

namespace registry_detail {

std::string CurrentUser() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  return std::to_string(::geteuid());
}

std::string CurrentHost() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

bool ParseVersionName(const std::string& name, int64_t* number) {
  if (name.size() < 7 || name.size() > 19 || name[0] != 'v') return false;
  if (name.find_first_not_of("0123456789", 1) != std::string::npos) return false;
  *number = std::stoll(name.substr(1));
  return *number > 0 && VersionName(*number) == name;
}

bool IsDraftFolder(const std::string& name) {
  return name.rfind(".v", 0) == 0 && name.find(".tmp-") != std::string::npos;
}

bool IsGcFolder(const std::string& name) { return name.rfind(".gc-v", 0) == 0; }

std::optional<std::string> VersionState(Index& index, const std::string& model, int64_t number) {
  Stmt s(index, "SELECT state FROM versions WHERE model = ? AND number = ?");
  s.Bind(1, model).Bind(2, number);
  if (!s.Step()) return std::nullopt;
  return s.Text(0);
}

int64_t MaxNumber(Index& index, const std::string& model) {
  Stmt s(index, "SELECT COALESCE(MAX(number), 0) FROM versions WHERE model = ?");
  s.Bind(1, model);
  s.Step();
  return s.Int(0);
}

ArtifactError ChecksumMismatch(const std::string& path, const std::string& actual,
                               const std::string& expected, const std::string& where) {
  return ArtifactError(path + ": its SHA-256 (" + actual + ") differs from the one " + where +
                       " records (" + expected + "): the file was changed or is corrupt");
}

int TakeLock(const std::string& lock_path, double wait_seconds) {
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(lock_path + ": open lock file: " + std::strerror(errno));
  timespec start{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    const int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd);
      throw IoError(lock_path + ": lock: " + std::strerror(err));
    }
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const double waited =
        static_cast<double>(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9;
    if (waited >= wait_seconds) {
      ::close(fd);
      return -1;
    }
    ::usleep(20000);
  }
}

}  // namespace registry_detail

using namespace registry_detail;

std::string VersionName(int64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "v%06lld", static_cast<long long>(number));
  return buf;
}

void CheckName(const std::string& what, const std::string& name) {
  std::string why;
  if (name.empty()) {
    why = "is empty";
  } else if (name.size() > 64) {
    why = "is longer than 64 characters";
  } else if (name[0] == '.') {
    why = "starts with a dot";
  } else {
    for (unsigned char c : name) {
      if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) {
        why = c < 0x20 || c == 0x7f ? "holds a control character"
              : c == '/'            ? "holds a path separator"
                         : "holds the character '" + std::string(1, static_cast<char>(c)) + "'";
        break;
      }
    }
  }
  if (!why.empty()) {
    std::string shown;
    for (unsigned char c : name.substr(0, 80)) {
      if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        shown += buf;
      } else {
        shown += static_cast<char>(c);
      }
    }
    throw ConfigError(
        what + " \"" + shown + "\": " + why +
        " (expected 1 to 64 letters, digits, '_', '-' or '.', not starting with a dot)");
  }
}

Registry::Registry(std::string root, Env* env, std::unique_ptr<Index> index)
    : root_(std::move(root)), env_(env), index_(std::move(index)) {}
Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;
Registry::~Registry() = default;

Registry Registry::Open(const std::string& root_in, Mode mode, Env* env) {
  std::string root = root_in;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (!root.empty() && root[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof(cwd)) == nullptr) throw IoError(root + ": cannot resolve the path");
    root = std::string(cwd) + "/" + root;
  }
  const std::string index_path = root + "/index.sqlite";
  if (env->IsDir(root) && !env->Exists(index_path)) {
    // Model folders with versions but no index: the index was lost, or the registry predates it.
    for (const auto& model : env->ListDir(root)) {
      if (model.empty() || model[0] == '.' || !env->IsDir(root + "/" + model)) continue;
      for (const auto& name : env->ListDir(root + "/" + model)) {
        int64_t n = 0;
        if (ParseVersionName(name, &n)) {
          throw IoError(index_path + ": the registry index is missing but " + root + "/" + model +
                        " holds versions; run `freshet registry fsck --rebuild --registry " + root +
                        "` to rebuild it from the version folders");
        }
      }
    }
  }
  if (mode == Mode::kReadOnly) {
    if (!env->Exists(index_path)) {
      throw ConfigError(root + ": no freshet registry here (no index.sqlite)");
    }
    return Registry(root, env, std::make_unique<Index>(index_path, true, env));
  }
  if (!env->IsDir(root)) env->CreateDir(root);
  return Registry(root, env, std::make_unique<Index>(index_path, false, env));
}

std::vector<std::string> Registry::Models() const {
  std::vector<std::string> out;
  Stmt s(*index_, "SELECT name FROM models ORDER BY name");
  while (s.Step()) out.push_back(s.Text(0));
  return out;
}

void Registry::RequireModel(const std::string& model) const {
  CheckName("model", model);
  const auto models = Models();
  if (std::find(models.begin(), models.end(), model) != models.end()) return;
  std::string known;
  for (const auto& m : models) known += (known.empty() ? "" : ", ") + m;
  throw ConfigError("model \"" + model + "\": not in the registry " + root_ +
                    (known.empty() ? " (it holds no models yet)" : " (models: " + known + ")"));
}

std::string Registry::VersionDir(const std::string& model, int64_t number) const {
  return ModelDir(model) + "/" + VersionName(number);
}

namespace {

constexpr char kVersionColumns[] =
    "SELECT number, created, parent, warm_start, config_hash, manifest_sha256, pinned, pin_reason "
    "FROM versions WHERE model = ? AND state = 'live'";

VersionInfo RowToInfo(const Registry& r, const std::string& model, const Stmt& s) {
  VersionInfo v;
  v.model = model;
  v.number = s.Int(0);
  v.name = VersionName(v.number);
  v.path = r.VersionDir(model, v.number);
  v.created = s.Text(1);
  v.parent = s.OptInt(2);
  v.warm_start = s.OptInt(3);
  v.config_hash = s.Text(4);
  v.manifest_sha256 = s.Text(5);
  v.pinned = s.Int(6) != 0;
  v.pin_reason = s.Text(7);
  return v;
}

void AddChannels(Index& index, std::vector<VersionInfo>* versions) {
  if (versions->empty()) return;
  Stmt s(index, "SELECT name, number FROM channels WHERE model = ? ORDER BY name");
  s.Bind(1, versions->front().model);
  while (s.Step()) {
    for (auto& v : *versions) {
      if (v.number == s.Int(1)) v.channels.push_back(s.Text(0));
    }
  }
}

}  // namespace

std::vector<VersionInfo> Registry::Versions(const std::string& model) const {
  std::vector<VersionInfo> out;
  Stmt s(*index_, (std::string(kVersionColumns) + " ORDER BY number").c_str());
  s.Bind(1, model);
  while (s.Step()) out.push_back(RowToInfo(*this, model, s));
  AddChannels(*index_, &out);
  return out;
}

VersionInfo Registry::Info(const std::string& model, int64_t number) const {
  Stmt s(*index_, (std::string(kVersionColumns) + " AND number = ?").c_str());
  s.Bind(1, model).Bind(2, number);
  if (!s.Step()) {
    throw ConfigError(model + " " + VersionName(number) + ": no such live version");
  }
  std::vector<VersionInfo> one{RowToInfo(*this, model, s)};
  AddChannels(*index_, &one);
  return one.front();
}

VersionInfo Registry::Resolve(const std::string& model, const std::string& ref) const {
  RequireModel(model);
  const auto versions = Versions(model);
  const auto known = [&] {
    std::string list;
    if (versions.empty()) {
      list = "it has no live versions";
    } else {
      list = "versions " + versions.front().name +
             (versions.size() > 1 ? " to " + versions.back().name : "");
    }
    std::string chans;
    for (const auto& c : Channels(model)) chans += (chans.empty() ? "" : ", ") + c.name;
    return list + "; channels: " + (chans.empty() ? "none" : chans);
  };
  if (ref == "latest") {
    if (versions.empty()) throw ConfigError(model + ": latest: " + known());
    return versions.back();
  }
  std::string digits = ref;
  if (!digits.empty() && digits[0] == 'v') digits = digits.substr(1);
  if (!digits.empty() && digits.size() <= 12 &&
      digits.find_first_not_of("0123456789") == std::string::npos) {
    const int64_t n = std::stoll(digits);
    for (const auto& v : versions) {
      if (v.number == n) return v;
    }
    const auto state = VersionState(*index_, model, n);
    throw ConfigError(model + ": version " + VersionName(n) +
                      (state == std::string("deleted")  ? " was removed by gc"
                       : state == std::string("broken") ? " was marked broken by fsck --repair"
                                                        : " does not exist") +
                      " (" + known() + ")");
  }
  CheckName("channel", ref);
  if (auto v = Holder(model, ref)) return *v;
  throw ConfigError(model + ": no version or channel \"" + ref + "\" (" + known() + ")");
}

std::optional<VersionInfo> Registry::Holder(const std::string& model,
                                            const std::string& channel) const {
  Stmt s(*index_, "SELECT number FROM channels WHERE model = ? AND name = ?");
  s.Bind(1, model).Bind(2, channel);
  if (!s.Step()) return std::nullopt;
  const int64_t n = s.Int(0);
  if (VersionState(*index_, model, n) != std::string("live")) return std::nullopt;
  return Info(model, n);
}

std::vector<ChannelInfo> Registry::Channels(const std::string& model) const {
  std::vector<ChannelInfo> out;
  Stmt s(*index_, "SELECT name, number, since FROM channels WHERE model = ? ORDER BY name");
  s.Bind(1, model);
  while (s.Step()) out.push_back({s.Text(0), s.Int(1), s.Text(2)});
  return out;
}

std::vector<Event> Registry::History(const std::string& model, const std::string& channel) const {
  std::vector<Event> out;
  Stmt s(*index_,
         "SELECT id, time, kind, channel, version, previous, user, host, command, reason "
         "FROM events WHERE model = ?1 AND (?2 = '' OR channel = ?2) ORDER BY id");
  s.Bind(1, model).Bind(2, channel);
  while (s.Step()) {
    Event e;
    e.id = s.Int(0);
    e.time = s.Text(1);
    e.model = model;
    e.kind = s.Text(2);
    e.channel = s.Text(3);
    e.version = s.OptInt(4);
    e.previous = s.OptInt(5);
    e.user = s.Text(6);
    e.host = s.Text(7);
    e.command = s.Text(8);
    e.reason = s.Text(9);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<InputFile> Registry::Inputs(const VersionInfo& v) const {
  std::vector<InputFile> out;
  Stmt s(*index_,
         "SELECT path, role, rows, sha256 FROM inputs WHERE model = ? AND number = ? "
         "ORDER BY position");
  s.Bind(1, v.model).Bind(2, v.number);
  while (s.Step()) out.push_back({s.Text(0), s.Text(1), s.Text(3), s.Int(2)});
  return out;
}

nlohmann::json Registry::Metrics(const VersionInfo& v) const {
  nlohmann::json out = nlohmann::json::object();
  Stmt s(*index_,
         "SELECT subject, name, value FROM metrics WHERE model = ? AND number = ? "
         "ORDER BY subject, name");
  s.Bind(1, v.model).Bind(2, v.number);
  while (s.Step()) {
    out[s.Text(0)][s.Text(1)] = s.IsNull(2) ? nlohmann::json() : nlohmann::json(s.Real(2));
  }
  return out;
}

std::string Registry::KnownSha256(const InputFile& in) const {
  if (in.bytes < 0 || in.ctime_ns == 0) return "";
  Stmt s(*index_,
         "SELECT sha256 FROM inputs WHERE path = ? AND bytes = ? AND mtime_ns = ? AND "
         "ctime_ns = ? AND inode = ? LIMIT 1");
  s.Bind(1, in.path).Bind(2, in.bytes).Bind(3, in.mtime_ns).Bind(4, in.ctime_ns).Bind(5, in.inode);
  return s.Step() ? s.Text(0) : "";
}

bool Registry::SameInputs(const VersionInfo& v, const std::vector<InputFile>& inputs) const {
  const auto prev = Inputs(v);
  if (prev.size() != inputs.size()) return false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (prev[i].path != inputs[i].path || prev[i].sha256 != inputs[i].sha256 ||
        prev[i].role != inputs[i].role) {
      return false;
    }
  }
  return true;
}

}  // namespace freshet
