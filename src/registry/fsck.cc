// fsck: the index against the folders, and repairs that lose no committed version.
#include "freshet/fsck.hpp"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "registry/index.h"
#include "registry/internal.h"

namespace freshet {

using namespace registry_detail;

bool FsckReport::clean() const {
  return std::all_of(problems.begin(), problems.end(),
                     [](const FsckProblem& p) { return p.repaired; });
}

namespace {

// A UTC stamp usable in a file name: 20261202T101500Z.
std::string Stamp() {
  std::string s = UtcNow();
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '-' || c == ':'; }), s.end());
  return s;
}

// Checks one live version's folder; returns what is wrong with it (empty when intact).
std::vector<FsckProblem> CheckVersion(Registry& r, const VersionInfo& v, int64_t* artifacts) {
  Env* env = r.env();
  std::vector<FsckProblem> out;
  const auto problem = [&](const std::string& kind, const std::string& path,
                           const std::string& detail) {
    out.emplace_back(v.model, kind, path, detail);
  };
  if (!env->IsDir(v.path)) {
    problem("missing_version", v.path, v.name + " is in the index but its folder is missing");
    return out;
  }
  nlohmann::json manifest;
  try {
    manifest = r.Manifest(v);
  } catch (const IoError& e) {
    problem("changed_manifest", v.path + "/" + kManifestFile, e.what());
    return out;
  }
  const nlohmann::json artifacts_json = manifest.value("artifacts", nlohmann::json::object());
  const auto source = r.Artifacts(v);
  for (const auto& [name, rec] : artifacts_json.items()) {
    (void)rec;
    const std::string path = v.path + "/" + name;
    ++*artifacts;
    if (!env->Exists(path)) {
      problem("missing_artifact", path, "manifest.json records it but it is missing");
      continue;
    }
    try {
      source->Read(name);
    } catch (const IoError& e) {
      problem("changed_artifact", path, e.what());
    }
  }
  for (const auto& name : env->ListDir(v.path)) {
    if (name != kManifestFile && !artifacts_json.contains(name)) {
      problem("unexpected_file", v.path + "/" + name, "not recorded in manifest.json");
    }
  }
  return out;
}

// Marks a version broken and moves the channels that held it back (in one transaction).
std::string MarkBroken(Registry& r, const std::string& model, int64_t number,
                       const std::string& detail, const Change& change) {
  Index& index = r.index();
  Txn txn(index);
  Stmt s(index, "UPDATE versions SET state = 'broken' WHERE model = ? AND number = ?");
  s.Bind(1, model).Bind(2, number);
  s.Run();
  Change c = change;
  c.reason = "fsck --repair: " + detail;
  RecordEvent(index, model, "broken", "", number, std::nullopt, c);
  std::string action = "marked " + VersionName(number) + " broken";
  for (const auto& ch : r.Channels(model)) {
    if (ch.number != number) continue;
    if (const auto back = RollbackTarget(index, model, ch.name)) {
      MoveChannel(index, model, ch.name, *back, "rollback", c);
      action += "; " + ch.name + " rolled back to " + VersionName(*back);
    } else {
      Stmt d(index, "DELETE FROM channels WHERE model = ? AND name = ?");
      d.Bind(1, model).Bind(2, ch.name);
      d.Run();
      RecordEvent(index, model, "remove_channel", ch.name, std::nullopt, number, c);
      action += "; " + ch.name + " removed (no earlier live holder)";
    }
  }
  txn.Commit("index: fsck marks " + model + " " + VersionName(number) + " broken");
  return action;
}

void MoveAside(Env* env, const std::string& model_dir, const std::string& path,
               const std::string& name, FsckProblem* p) {
  const std::string aside_dir = model_dir + "/.orphaned";
  if (!env->IsDir(aside_dir)) env->CreateDir(aside_dir);
  const std::string to = aside_dir + "/" + name + "-" + Stamp();
  env->Rename(path, to);
  env->SyncDir(model_dir);
  p->repaired = true;
  p->action = "moved to " + to;
}

void CheckModel(Registry& r, const std::string& model, bool repair, const Change& change,
                FsckReport* report) {
  Env* env = r.env();
  const std::string dir = r.ModelDir(model);
  std::optional<ModelWriter> writer;
  if (repair) {
    try {
      writer.emplace(r.Lock(model, 0));
    } catch (const LockedError& e) {
      report->problems.push_back(
          {model, "model_locked", dir + "/.lock",
           "a writer is running; model left alone: " + std::string(e.what())});
      return;
    }
    for (const auto& l : writer->recovered()) {
      report->problems.push_back({model, l.kind, l.path, l.why, true, "removed"});
    }
  } else if (env->IsDir(dir)) {
    const int fd = TakeLock(dir + "/.lock", 0);
    if (fd < 0) {
      report->problems.push_back({model, "model_locked", dir + "/.lock",
                                  "a writer is running; its unfinished files were not checked"});
    } else {
      ::close(fd);
      for (const auto& l : FindLeftovers(r, model)) {
        report->problems.push_back({model, l.kind, l.path, l.why});
      }
    }
  }
  // Version folders the index does not know and that are not a dead writer's leftovers.
  std::set<int64_t> known;
  for (const auto& v : r.Versions(model)) known.insert(v.number);
  if (env->IsDir(dir)) {
    for (const auto& name : env->ListDir(dir)) {
      int64_t n = 0;
      if (!ParseVersionName(name, &n) || known.count(n)) continue;
      const auto state = VersionState(r.index(), model, n);
      if (state == std::string("deleted") || state == std::string("broken")) continue;
      if (!state && n > MaxNumber(r.index(), model)) continue;  // a leftover, reported above
      FsckProblem p{model, "orphan_folder", dir + "/" + name,
                    "a version folder the index has no record of"};
      if (repair) MoveAside(env, dir, p.path, name, &p);
      report->problems.push_back(p);
    }
  }
  for (const auto& v : r.Versions(model)) {
    ++report->versions;
    auto found = CheckVersion(r, v, &report->artifacts);
    bool broken = false;
    for (auto& p : found) {
      if (p.kind == "unexpected_file") {
        if (repair)
          MoveAside(env, dir, p.path, v.name + "." + p.path.substr(v.path.size() + 1), &p);
      } else {
        broken = true;
      }
    }
    if (broken && repair) {
      const std::string action = MarkBroken(r, model, v.number, found.front().detail, change);
      for (auto& p : found) {
        if (!p.repaired) p.repaired = true, p.action = action;
      }
    }
    report->problems.insert(report->problems.end(), found.begin(), found.end());
  }
  for (const auto& c : r.Channels(model)) {
    if (VersionState(r.index(), model, c.number) == std::string("live")) continue;
    FsckProblem p{
        model, "dangling_channel", dir,
        "channel " + c.name + " holds " + VersionName(c.number) + ", which is not a live version"};
    if (repair) {
      p.action = MarkBroken(r, model, c.number, p.detail, change);
      p.repaired = true;
    }
    report->problems.push_back(p);
  }
}

}  // namespace

FsckReport RebuildIndex(const std::string& root, const Change& change, Env* env);

FsckReport Fsck(const std::string& root, FsckMode mode, const Change& change, Env* env) {
  if (mode == FsckMode::kRebuild) return RebuildIndex(root, change, env);
  Registry r = Registry::Open(
      root, mode == FsckMode::kRepair ? Registry::Mode::kReadWrite : Registry::Mode::kReadOnly,
      env);
  FsckReport report;
  {
    Stmt s(r.index(), "PRAGMA integrity_check");
    std::string result;
    while (s.Step()) result += (result.empty() ? "" : "; ") + s.Text(0);
    if (result != "ok") {
      report.problems.push_back(
          {"", "index_corrupt", r.root() + "/index.sqlite", result + " (run fsck --rebuild)"});
      return report;
    }
  }
  std::set<std::string> models;
  for (const auto& m : r.Models()) models.insert(m);
  for (const auto& name : env->ListDir(r.root())) {
    if (name.empty() || name[0] == '.' || models.count(name) || !env->IsDir(r.root() + "/" + name))
      continue;
    for (const auto& v : env->ListDir(r.root() + "/" + name)) {
      int64_t n = 0;
      if (!ParseVersionName(v, &n)) continue;
      report.problems.push_back({name, "orphan_folder", r.root() + "/" + name + "/" + v,
                                 "a version folder of a model the index has no record of (run "
                                 "fsck --rebuild to adopt it)"});
    }
  }
  for (const auto& m : models) {
    ++report.models;
    CheckModel(r, m, mode == FsckMode::kRepair, change, &report);
  }
  return report;
}

}  // namespace freshet
