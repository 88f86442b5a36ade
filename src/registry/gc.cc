// gc: removes old versions that nothing needs. Each removal commits to the index first (the
// version is marked deleted, so it is gone for readers at once), then its folder is renamed aside
// and removed; a gc that dies in between leaves a folder the next writer removes.
#include <unistd.h>

#include <map>
#include <set>

#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/registry.hpp"
#include "registry/index.h"
#include "registry/internal.h"

namespace freshet {

using namespace registry_detail;

GcResult ModelWriter::Gc(int64_t keep_last, bool dry_run, const Change& change) {
  if (keep_last < 0)
    throw ConfigError("--keep-last: expected 0 or more, got " + std::to_string(keep_last));
  Registry& r = *registry_;
  Index& index = r.index();
  const auto versions = r.Versions(model_);
  std::map<int64_t, std::string> why;  // version → why it stays
  const auto keep = [&why](int64_t n, const std::string& reason) {
    auto& w = why[n];
    w += (w.empty() ? "" : ", ") + reason;
  };
  for (const auto& c : r.Channels(model_)) keep(c.number, "holds " + c.name);
  for (const auto& v : versions) {
    if (v.pinned) keep(v.number, "pinned" + (v.pin_reason.empty() ? "" : ": " + v.pin_reason));
  }
  // The weights a serving or pinned version started from (its lineage).
  std::set<int64_t> serving;
  for (const auto& [n, w] : why) serving.insert(n);
  for (const auto& v : versions) {
    if (serving.count(v.number) && v.warm_start) {
      keep(*v.warm_start, "warm-start parent of " + v.name);
    }
  }
  // What `rollback` would move each channel to: a rollback stays one command.
  for (const auto& c : r.Channels(model_)) {
    if (const auto back = RollbackTarget(index, model_, c.name)) {
      keep(*back, c.name + " rolls back to it");
    }
  }
  const size_t n_versions = versions.size();
  for (size_t i = 0; i < n_versions; ++i) {
    if (i + static_cast<size_t>(keep_last) >= n_versions) keep(versions[i].number, "recent");
  }

  GcResult result;
  Env* env = r.env();
  const std::string dir = r.ModelDir(model_);
  for (const auto& v : versions) {
    if (why.count(v.number)) {
      result.kept.emplace_back(v.number, why[v.number]);
      continue;
    }
    result.removed.push_back(v.number);
    if (dry_run) continue;
    {
      Txn txn(index);
      Stmt s(index, "UPDATE versions SET state = 'deleted' WHERE model = ? AND number = ?");
      s.Bind(1, model_).Bind(2, v.number);
      s.Run();
      RecordEvent(index, model_, "gc", "", v.number, std::nullopt, change);
      txn.Commit("index: gc " + model_ + " " + v.name);
    }
    const std::string aside =
        dir + "/.gc-" + v.name + "-" + std::to_string(static_cast<long long>(::getpid()));
    env->Rename(v.path, aside);
    env->SyncDir(dir);
    env->RemoveAll(aside);
    LogInfo("registry: gc removed " + model_ + " " + v.name);
  }
  if (!dry_run && !result.removed.empty()) env->SyncDir(dir);
  return result;
}

}  // namespace freshet
