// The writer of one model: its lock, recovery after a writer that died, drafts and publish.
#include <unistd.h>

#include <cmath>
#include <set>

#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/registry.hpp"
#include "registry/index.h"
#include "registry/internal.h"

namespace freshet {

using namespace registry_detail;

namespace registry_detail {

std::vector<Leftover> FindLeftovers(Registry& r, const std::string& model) {
  Env* env = r.env();
  const std::string dir = r.ModelDir(model);
  std::vector<Leftover> out;
  if (!env->IsDir(dir)) return out;
  const int64_t max = MaxNumber(r.index(), model);
  for (const auto& name : env->ListDir(dir)) {
    const std::string path = dir + "/" + name;
    int64_t n = 0;
    if (IsDraftFolder(name)) {
      out.push_back({path, "draft_folder", "an unfinished version of a run that died"});
    } else if (IsGcFolder(name)) {
      out.push_back({path, "gc_folder", "a version whose gc was interrupted"});
    } else if (ParseVersionName(name, &n)) {
      const auto state = VersionState(r.index(), model, n);
      if (state == std::string("deleted")) {
        out.push_back({path, "deleted_folder", "a version gc had removed from the index"});
      } else if (!state && n > max) {
        out.push_back(
            {path, "orphan_folder", "a version whose publish died before its index commit"});
      }
    }
  }
  return out;
}

}  // namespace registry_detail

ModelWriter Registry::Lock(const std::string& model, double wait_seconds) {
  CheckName("model", model);
  const std::string dir = ModelDir(model);
  if (!env_->IsDir(dir)) {
    env_->CreateDir(dir);
    env_->SyncDir(root_);
  }
  const std::string lock = dir + "/.lock";
  const int fd = TakeLock(lock, wait_seconds);
  if (fd < 0) {
    throw LockedError(lock + ": another freshet run holds the lock of model \"" + model + "\"" +
                      (wait_seconds > 0 ? Format(" (waited %.0f s)", wait_seconds) : ""));
  }
  ModelWriter writer(this, model, fd);
  {
    Stmt s(*index_, "SELECT 1 FROM models WHERE name = ?");
    s.Bind(1, model);
    if (!s.Step()) {
      Txn txn(*index_);
      Stmt ins(*index_, "INSERT OR IGNORE INTO models (name, created) VALUES (?, ?)");
      ins.Bind(1, model).Bind(2, UtcNow());
      ins.Run();
      txn.Commit("index: add model " + model);
    }
  }
  // Holding the lock, nothing in the folder can belong to a live writer.
  writer.recovered_ = FindLeftovers(*this, model);
  for (const auto& l : writer.recovered_) {
    LogInfo("registry: removing " + l.path + " (" + l.why + ")");
    env_->RemoveAll(l.path);
  }
  if (!writer.recovered_.empty()) env_->SyncDir(dir);
  return writer;
}

ModelWriter::ModelWriter(Registry* registry, std::string model, int lock_fd)
    : registry_(registry), model_(std::move(model)), lock_fd_(lock_fd) {}

ModelWriter::ModelWriter(ModelWriter&& o) noexcept
    : registry_(o.registry_),
      model_(std::move(o.model_)),
      lock_fd_(o.lock_fd_),
      drafts_(o.drafts_),
      recovered_(std::move(o.recovered_)) {
  o.lock_fd_ = -1;
}

ModelWriter::~ModelWriter() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

VersionDraft::VersionDraft(Env* env, int64_t number, std::string tmp)
    : env_(env), number_(number), tmp_(std::move(tmp)) {}

VersionDraft::VersionDraft(VersionDraft&& o) noexcept
    : env_(o.env_),
      number_(o.number_),
      tmp_(std::move(o.tmp_)),
      artifacts_(std::move(o.artifacts_)),
      done_(o.done_) {
  o.done_ = true;
}

VersionDraft::~VersionDraft() {
  if (done_) return;
  try {
    env_->RemoveAll(tmp_);
  } catch (const std::exception& e) {
    LogInfo(std::string("registry: could not remove an unfinished version: ") + e.what());
  }
}

void VersionDraft::Write(const std::string& name, std::string_view bytes) {
  FRESHET_CHECK(!done_, "write to a published draft");
  FRESHET_CHECK(name != kManifestFile, "the manifest is written by Publish");
  env_->WriteFile(Describe(name), bytes);
  artifacts_[name] = {{"sha256", Sha256(bytes)}, {"bytes", static_cast<int64_t>(bytes.size())}};
}

std::string VersionDraft::Read(const std::string& name) const {
  if (!Has(name)) throw IoError(Describe(name) + ": not written to the new version");
  std::string bytes = env_->ReadFile(Describe(name));
  const std::string expected = artifacts_[name]["sha256"].get<std::string>();
  const std::string actual = Sha256(bytes);
  if (actual != expected) {
    throw IoError(Describe(name) + ": changed since it was written (SHA-256 " + actual +
                  ", written " + expected + ")");
  }
  return bytes;
}

void VersionDraft::WriteJson(const std::string& name, const nlohmann::json& value) {
  Write(name, value.dump(2) + "\n");
}

VersionDraft ModelWriter::NewVersion() {
  Env* env = registry_->env();
  const int64_t number = MaxNumber(registry_->index(), model_) + 1;
  const std::string tmp = registry_->ModelDir(model_) + "/." + VersionName(number) + ".tmp-" +
                          std::to_string(::getpid()) + "-" + std::to_string(++drafts_);
  env->RemoveAll(tmp);
  env->CreateDir(tmp);
  return VersionDraft(env, number, tmp);
}

namespace {

std::optional<int64_t> NumberOf(const nlohmann::json& manifest, const char* key) {
  const auto it = manifest.find(key);
  int64_t n = 0;
  if (it == manifest.end() || !it->is_string() || !ParseVersionName(it->get<std::string>(), &n)) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

namespace registry_detail {

void InsertVersion(Index& index, const std::string& model, int64_t number,
                   const nlohmann::json& manifest, const std::string& manifest_sha,
                   const std::vector<InputFile>& inputs, const nlohmann::json& metrics,
                   std::optional<int64_t> run) {
  Stmt v(index,
         "INSERT INTO versions (model, number, created, parent, warm_start, config_hash, "
         "manifest_sha256, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  v.Bind(1, model).Bind(2, number).Bind(3, manifest.value("created", UtcNow()));
  v.Bind(4, NumberOf(manifest, "parent")).Bind(5, NumberOf(manifest, "warm_started_from"));
  v.Bind(6, manifest.value("config_hash", "")).Bind(7, manifest_sha).Bind(8, run);
  v.Run();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputFile& in = inputs[i];
    Stmt s(index,
           "INSERT INTO inputs (model, number, position, path, role, rows, sha256, bytes, "
           "mtime_ns, ctime_ns, inode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, model).Bind(2, number).Bind(3, static_cast<int64_t>(i)).Bind(4, in.path);
    s.Bind(5, in.role).Bind(6, in.rows).Bind(7, in.sha256).Bind(8, in.bytes);
    s.Bind(9, in.mtime_ns).Bind(10, in.ctime_ns).Bind(11, in.inode);
    s.Run();
  }
  for (const auto& [subject, values] : metrics.items()) {
    for (const auto& [name, value] : values.items()) {
      if (!value.is_number() && !value.is_null()) continue;
      Stmt s(index,
             "INSERT INTO metrics (model, number, subject, name, value) VALUES (?, ?, ?, ?, ?)");
      s.Bind(1, model).Bind(2, number).Bind(3, subject).Bind(4, name);
      if (value.is_number() && std::isfinite(value.get<double>())) {
        s.Bind(5, value.get<double>());
      } else {
        s.BindNull(5);
      }
      s.Run();
    }
  }
}

}  // namespace registry_detail

nlohmann::json IndexedMetrics(const nlohmann::json& eval) {
  nlohmann::json out = nlohmann::json::object();
  const auto numbers = [](const nlohmann::json& m) {
    nlohmann::json o = nlohmann::json::object();
    if (!m.is_object()) return o;
    for (const auto& [k, v] : m.items()) {
      if (v.is_number() || v.is_null()) o[k] = v;
    }
    return o;
  };
  if (eval.contains("metrics")) out["model"] = numbers(eval["metrics"]);
  if (eval.contains("fallback") && eval["fallback"].is_object()) {
    out["fallback"] = numbers(eval["fallback"].value("metrics", nlohmann::json::object()));
  }
  return out;
}

VersionInfo ModelWriter::Publish(VersionDraft& draft, nlohmann::json manifest,
                                 const PublishRecord& record) {
  FRESHET_CHECK(!draft.done_, "publish of a draft twice");
  for (const auto& c : record.promote_to) CheckName("channel", c);
  for (const auto& m : record.moves) CheckName("channel", m.channel);
  Env* env = registry_->env();
  Index& index = registry_->index();
  const int64_t number = draft.number();
  const std::string dir = registry_->ModelDir(model_);
  const std::string final_path = registry_->VersionDir(model_, number);

  manifest["artifacts"] = draft.artifacts_;
  const std::string text = manifest.dump(2) + "\n";
  env->WriteFile(draft.Describe(kManifestFile), text);
  env->SyncDir(draft.tmp_);
  if (env->Exists(final_path)) {
    throw IoError(final_path + ": a version folder of that number exists but the index does not " +
                  "record it; run `freshet registry fsck --repair`");
  }
  env->Rename(draft.tmp_, final_path);
  draft.done_ = true;
  try {
    env->SyncDir(dir);
    Txn txn(index);
    InsertVersion(index, model_, number, manifest, Sha256(text), record.inputs, record.metrics,
                  record.run);
    Change published = record.change;
    if (record.run) published.reason = "published by run " + std::to_string(*record.run);
    RecordEvent(index, model_, "publish", "", number, std::nullopt, published);
    for (const auto& channel : record.promote_to) {
      MoveChannel(index, model_, channel, number, "promote", record.change);
    }
    bool condition = true;
    if (!record.condition_channel.empty()) {
      Stmt h(index, "SELECT number FROM channels WHERE model = ? AND name = ?");
      h.Bind(1, model_).Bind(2, record.condition_channel);
      const std::optional<int64_t> holder =
          h.Step() ? std::optional<int64_t>(h.Int(0)) : std::nullopt;
      condition = holder == record.condition_holder;
    }
    for (const auto& m : record.moves) {
      if (m.conditional && !condition) continue;
      MoveChannel(index, model_, m.channel, m.version.value_or(number), "promote",
                  {record.change.command, m.reason});
    }
    txn.Commit("index: publish " + model_ + " " + VersionName(number));
  } catch (...) {
    // Not committed: the folder must not stay (a later writer would remove it anyway).
    try {
      env->RemoveAll(final_path);
      env->SyncDir(dir);
    } catch (const std::exception& e) {
      LogInfo(std::string("registry: could not remove the unpublished version: ") + e.what());
    }
    throw;
  }
  return registry_->Info(model_, number);
}

}  // namespace freshet
