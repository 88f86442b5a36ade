// fsck --rebuild: a new index from the version folders, keeping what the old index still knows.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "freshet/error.hpp"
#include "freshet/fsck.hpp"
#include "freshet/log.hpp"
#include "registry/index.h"
#include "registry/internal.h"

namespace freshet {

using namespace registry_detail;

namespace {

// What the old index still says, read before it is moved aside.
struct OldIndex {
  std::map<std::string, std::vector<ChannelInfo>> channels;
  std::map<std::string, std::vector<Event>> events;
  std::map<std::string, std::vector<RunRecord>> runs;
  std::map<std::string, std::vector<EvaluationRecord>> evaluations;
  std::map<std::string, std::map<int64_t, std::string>> state;  // deleted / broken versions
  std::map<std::string, std::map<int64_t, std::pair<bool, std::string>>> pins;
};

std::optional<OldIndex> ReadOld(const std::string& root, Env* env) {
  try {
    Registry old = Registry::Open(root, Registry::Mode::kReadOnly, env);
    OldIndex o;
    for (const auto& m : old.Models()) {
      o.channels[m] = old.Channels(m);
      o.events[m] = old.History(m);
      o.runs[m] = old.Runs(m, 1 << 30);
      o.evaluations[m] = old.Evaluations(m);
      Stmt s(old.index(), "SELECT number, state, pinned, pin_reason FROM versions WHERE model = ?");
      s.Bind(1, m);
      while (s.Step()) {
        if (s.Text(1) != "live") o.state[m][s.Int(0)] = s.Text(1);
        if (s.Int(2)) o.pins[m][s.Int(0)] = {true, s.Text(3)};
      }
    }
    return o;
  } catch (const std::exception& e) {
    LogInfo(std::string("fsck --rebuild: the old index cannot be read (") + e.what() +
            "); channels, events, runs and evaluations start afresh");
    return std::nullopt;
  }
}

// Whether a version's eval.json says its publish made it champion: its gate passed and
// promoted it to champion, or it has no gate decision (an older freshet made every version
// champion). A version the gate kept out, or sent to a stage first, was not.
bool PromotedToChampion(const nlohmann::json& eval) {
  if (!eval.is_object() || !eval.contains("gate") || !eval["gate"].is_object()) return true;
  const nlohmann::json& to = eval["gate"].value("promoted_to", nlohmann::json::array());
  return to.is_array() && std::find(to.begin(), to.end(), "champion") != to.end();
}

nlohmann::json ParseOrNull(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// Why a version folder cannot be adopted; empty when every artifact verifies.
std::string VerifyFolder(Env* env, const std::string& path, nlohmann::json* manifest,
                         std::string* manifest_sha, int64_t* artifacts) {
  const std::string mpath = path + "/" + kManifestFile;
  if (!env->Exists(mpath)) return "no manifest.json";
  const std::string text = env->ReadFile(mpath);
  *manifest = ParseOrNull(text);
  if (!manifest->is_object() || !manifest->contains("artifacts")) {
    return "manifest.json is not a manifest";
  }
  *manifest_sha = Sha256(text);
  for (const auto& [name, rec] : (*manifest)["artifacts"].items()) {
    ++*artifacts;
    const std::string p = path + "/" + name;
    if (!env->Exists(p)) return name + " is missing";
    if (Sha256(env->ReadFile(p)) != rec.value("sha256", "")) return name + " does not match";
  }
  return "";
}

std::vector<InputFile> ManifestInputs(const nlohmann::json& manifest) {
  std::vector<InputFile> out;
  for (const auto& in : manifest.value("inputs", nlohmann::json::array())) {
    out.push_back({in.value("path", ""), in.value("role", ""), in.value("sha256", ""),
                   in.value("rows", int64_t{-1})});
  }
  return out;
}

void AddOldRecords(Index& index, const std::string& model, const OldIndex& old,
                   const std::set<int64_t>& adopted) {
  if (auto it = old.events.find(model); it != old.events.end()) {
    for (const auto& e : it->second) {
      Stmt s(index,
             "INSERT INTO events (time, model, kind, channel, version, previous, user, host, "
             "command, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      s.Bind(1, e.time).Bind(2, model).Bind(3, e.kind).Bind(4, e.channel).Bind(5, e.version);
      s.Bind(6, e.previous).Bind(7, e.user).Bind(8, e.host).Bind(9, e.command).Bind(10, e.reason);
      s.Run();
    }
  }
  if (auto it = old.runs.find(model); it != old.runs.end()) {
    for (auto r = it->second.rbegin(); r != it->second.rend(); ++r) {
      Stmt s(index,
             "INSERT INTO runs (model, started, ended, exit_code, reason, version, user, host, "
             "pid, command, inputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      s.Bind(1, model).Bind(2, r->started);
      r->ended.empty() ? s.BindNull(3) : s.Bind(3, r->ended);
      r->exit_code ? s.Bind(4, int64_t{*r->exit_code}) : s.BindNull(4);
      s.Bind(5, r->reason).Bind(6, r->version).Bind(7, r->user).Bind(8, r->host);
      s.Bind(9, r->pid).Bind(10, r->command).Bind(11, r->inputs.dump());
      s.Run();
    }
  }
  if (auto it = old.evaluations.find(model); it != old.evaluations.end()) {
    for (const auto& e : it->second) {
      if (!adopted.count(e.number)) continue;
      Stmt s(index,
             "INSERT INTO evaluations (model, number, kind, time, passed, reason, summary, user, "
             "host, command) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      s.Bind(1, model).Bind(2, e.number).Bind(3, e.kind).Bind(4, e.time);
      s.Bind(5, int64_t{e.passed}).Bind(6, e.reason).Bind(7, e.summary.dump()).Bind(8, e.user);
      s.Bind(9, e.host).Bind(10, e.command);
      s.Run();
    }
  }
  if (auto it = old.pins.find(model); it != old.pins.end()) {
    for (const auto& [n, pin] : it->second) {
      Stmt s(index,
             "UPDATE versions SET pinned = 1, pin_reason = ? WHERE model = ? AND number = ?");
      s.Bind(1, pin.second).Bind(2, model).Bind(3, n);
      s.Run();
    }
  }
  if (auto it = old.channels.find(model); it != old.channels.end()) {
    for (const auto& c : it->second) {
      if (!adopted.count(c.number)) continue;
      Stmt s(index, "INSERT INTO channels (model, name, number, since) VALUES (?, ?, ?, ?)");
      s.Bind(1, model).Bind(2, c.name).Bind(3, c.number).Bind(4, c.since);
      s.Run();
    }
  }
}

}  // namespace

FsckReport RebuildIndex(const std::string& root_in, const Change& change, Env* env) {
  std::string root = root_in;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (!env->IsDir(root)) throw ConfigError(root + ": no such registry folder");
  std::vector<std::string> models;
  std::vector<int> locks;
  struct Unlock {
    std::vector<int>* fds;
    ~Unlock() {
      for (int fd : *fds) ::close(fd);
    }
  } unlock{&locks};
  for (const auto& name : env->ListDir(root)) {
    if (name.empty() || name[0] == '.' || !env->IsDir(root + "/" + name)) continue;
    CheckName("model", name);
    const int fd = TakeLock(root + "/" + name + "/.lock", 0);
    if (fd < 0) {
      throw LockedError(root + "/" + name + "/.lock: a writer of model \"" + name +
                        "\" is running; fsck --rebuild needs every model's lock");
    }
    locks.push_back(fd);
    models.push_back(name);
  }
  const std::string index_path = root + "/index.sqlite";
  const auto old = env->Exists(index_path) ? ReadOld(root, env) : std::nullopt;
  if (env->Exists(index_path)) {
    const std::string aside = index_path + ".old-" + std::to_string(::time(nullptr));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      if (env->Exists(index_path + suffix)) env->Rename(index_path + suffix, aside + suffix);
    }
    env->SyncDir(root);
    LogInfo("fsck --rebuild: the old index is kept as " + aside);
  }

  FsckReport report;
  Index index(index_path, false, env);
  Txn txn(index);
  for (const auto& model : models) {
    ++report.models;
    Stmt m(index, "INSERT INTO models (name, created) VALUES (?, ?)");
    m.Bind(1, model).Bind(2, UtcNow());
    m.Run();
    const std::string dir = root + "/" + model;
    std::set<int64_t> adopted, champions;
    for (const auto& name : env->ListDir(dir)) {
      int64_t n = 0;
      if (!ParseVersionName(name, &n)) continue;
      const std::string path = dir + "/" + name;
      if (old && old->state.count(model) && old->state.at(model).count(n)) {
        // gc removed it, or fsck found it broken: keep that state.
        Stmt s(index,
               "INSERT INTO versions (model, number, created, config_hash, manifest_sha256, state) "
               "VALUES (?, ?, ?, '', '', ?)");
        s.Bind(1, model).Bind(2, n).Bind(3, UtcNow()).Bind(4, old->state.at(model).at(n));
        s.Run();
        continue;
      }
      nlohmann::json manifest;
      std::string sha;
      const std::string why = VerifyFolder(env, path, &manifest, &sha, &report.artifacts);
      if (!why.empty()) {
        FsckProblem p{model, "orphan_folder", path, "not adopted: " + why, false, ""};
        const std::string aside_dir = dir + "/.orphaned";
        if (!env->IsDir(aside_dir)) env->CreateDir(aside_dir);
        env->Rename(path, aside_dir + "/" + name + "-" + std::to_string(::time(nullptr)));
        p.repaired = true;
        p.action = "moved to " + aside_dir;
        report.problems.push_back(p);
        continue;
      }
      nlohmann::json eval = nlohmann::json::object();
      if (env->Exists(path + "/" + kEvalFile))
        eval = ParseOrNull(env->ReadFile(path + "/" + kEvalFile));
      InsertVersion(index, model, n, manifest, sha, ManifestInputs(manifest),
                    eval.is_object() ? IndexedMetrics(eval) : nlohmann::json::object(),
                    std::nullopt);
      adopted.insert(n);
      if (PromotedToChampion(eval)) champions.insert(n);
      ++report.versions;
    }
    Change c = change;
    c.reason = "fsck --rebuild: " + std::to_string(adopted.size()) + " version(s) adopted from " +
               dir + (old ? "; channels, events and runs kept from the old index" : "");
    if (old) AddOldRecords(index, model, *old, adopted);
    RecordEvent(index, model, "rebuild", "", std::nullopt, std::nullopt, c);
    Stmt has(index, "SELECT 1 FROM channels WHERE model = ? AND name = 'champion'");
    has.Bind(1, model);
    if (!has.Step() && !champions.empty()) {
      Change cc = change;
      cc.reason =
          "fsck --rebuild: the champion's history was lost with the index; set to the newest "
          "version the promotion gate made champion";
      MoveChannel(index, model, "champion", *champions.rbegin(), "promote", cc);
    }
  }
  txn.Commit("index: rebuild");
  return report;
}

}  // namespace freshet
