// The model registry: the system of record of which version serves under which name, since when,
// who moved it and why, and what each version was trained on.
//
//   <root>/index.sqlite          models, versions, inputs (lineage), metrics, channels, events,
//   runs <root>/<model>/v000042/      the immutable artifacts of a version (artifacts.hpp)
//   <root>/<model>/.lock         held by the one process that may publish or gc the model
//
// A version is visible exactly when its folder has been renamed into place and its row committed
// to the index, in that order; a process that dies between the two leaves a folder that the next
// writer (or fsck --repair) removes. Channels (`champion`, `fallback`, `shadow`, `canary`, any
// valid name) point at versions; every move is an event with time, user, host, command, reason and
// the previous holder, and `Rollback` moves a channel back. Every file operation goes through an
// Env. A Registry object is not thread-safe; processes share a registry safely (SQLite's locking
// for the index, the model's lock for publish and gc).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/env.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"

namespace freshet {

class Index;

// "v000042" for 42.
std::string VersionName(int64_t number);

// Checks a model, channel or similar name: 1 to 64 letters, digits, '_', '-' or '.', not starting
// with a dot. Throws ConfigError naming `what` ("channel") and the name otherwise.
void CheckName(const std::string& what, const std::string& name);

// The format of index.sqlite this build reads and writes. An index of a newer format is refused.
inline constexpr int kIndexFormat = 1;
// The format of manifest.json this build writes and reads; another is refused.
inline constexpr char kManifestFormat[] = "freshet.manifest/1";

struct VersionInfo {
  std::string model;
  int64_t number = 0;
  std::string name;  // "v000042"
  std::string path;  // absolute folder
  std::string created;
  std::optional<int64_t> parent;      // the champion it was trained after
  std::optional<int64_t> warm_start;  // the version its weights started from
  std::string config_hash;
  std::string manifest_sha256;
  bool pinned = false;
  std::string pin_reason;
  std::vector<std::string> channels;  // the channels that hold it
};

struct ChannelInfo {
  std::string name;
  int64_t number = 0;
  std::string since;
};

// One recorded change: a publish, a channel move (promote, rollback), pin, unpin, gc, repair.
struct Event {
  int64_t id = 0;
  std::string time, model, kind, channel;
  std::optional<int64_t> version, previous;
  std::string user, host, command, reason;
};

// One `retrain` (or other run of a writer): recorded when it starts and updated when it ends.
// A run whose process died has no end.
struct RunRecord {
  int64_t id = 0;
  std::string model, started, ended;
  std::optional<int> exit_code;
  std::string reason;
  std::optional<int64_t> version;  // what it published
  std::string user, host, command;
  int64_t pid = 0;
  nlohmann::json inputs = nlohmann::json::array();  // [{path, role, rows, sha256}]
};

// A channel move that a publish (or an evaluation) commits with it: `channel` to `version`
// (nullopt: the new version), recorded with `reason`.
struct ChannelMove {
  std::string channel;
  std::optional<int64_t> version;
  std::string reason;
  // Made only when the publish's condition holds (PublishRecord::condition_channel).
  bool conditional = false;
};

// An evaluation of a version recorded after its publish: a shadow run on logged traffic.
struct EvaluationRecord {
  int64_t id = 0;
  std::string model;
  int64_t number = 0;
  std::string kind;  // "shadow"
  std::string time;
  bool passed = false;
  std::string reason;
  nlohmann::json summary;  // what the run measured (docs/eval-schema.md, "shadow")
  std::string user, host, command;
};

// Who makes a change and why, for the event it records. The user and host are filled in by the
// registry.
struct Change {
  std::string command;  // the command line
  std::string reason;
};

class ModelWriter;

class Registry {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  // Opens the registry at `root`. kReadOnly takes no lock and writes nothing; it throws ConfigError
  // when there is no registry there. kReadWrite creates `root` and the index when absent, and
  // refuses (IoError) to create an index beside model folders that hold versions (the index was
  // lost: `fsck --rebuild`). Throws IoError naming the file when the index is unreadable or of a
  // newer format than kIndexFormat. `env` must outlive the Registry.
  static Registry Open(const std::string& root, Mode mode, Env* env = Env::Default());
  Registry(Registry&&) noexcept;
  Registry& operator=(Registry&&) noexcept;
  ~Registry();

  const std::string& root() const { return root_; }
  Env* env() const { return env_; }

  // Model names, sorted.
  std::vector<std::string> Models() const;
  // Throws ConfigError naming the model and listing the known ones when it has no record.
  void RequireModel(const std::string& model) const;
  // The model's live versions, oldest first.
  std::vector<VersionInfo> Versions(const std::string& model) const;
  // Resolves "latest", a channel name, "v000012" or "12" to a live version. Throws ConfigError
  // naming the reference and listing what exists (versions, channels) when nothing matches.
  VersionInfo Resolve(const std::string& model, const std::string& ref) const;
  // The version a channel holds, if any.
  std::optional<VersionInfo> Holder(const std::string& model, const std::string& channel) const;
  std::vector<ChannelInfo> Channels(const std::string& model) const;
  // Events, oldest first; only those of `channel` when it is not empty.
  std::vector<Event> History(const std::string& model, const std::string& channel = "") const;
  // Runs, newest first, at most `limit`.
  std::vector<RunRecord> Runs(const std::string& model, int64_t limit = 50) const;
  // A version's lineage: every input it was trained and evaluated on, in order.
  std::vector<InputFile> Inputs(const VersionInfo& v) const;
  // A version's recorded metrics: {"model": {...}, "fallback": {...}}.
  nlohmann::json Metrics(const VersionInfo& v) const;
  // The SHA-256 an earlier version recorded for the file `in` describes, when its path and stat
  // fields are the same (see KnownSha256); "" otherwise.
  std::string KnownSha256(const InputFile& in) const;
  // True when `v` was trained and evaluated on exactly `inputs` (paths, roles, SHA-256s, order).
  bool SameInputs(const VersionInfo& v, const std::vector<InputFile>& inputs) const;

  // The version's manifest.json, checked against the SHA-256 the index records. Throws IoError
  // naming the file and both checksums when it differs, or when it is missing or not JSON.
  nlohmann::json Manifest(const VersionInfo& v) const;
  // The version's artifacts, each read checked against the manifest (see ArtifactSource).
  std::unique_ptr<ArtifactSource> Artifacts(const VersionInfo& v) const;
  // The model's file <model>/<name> (schema.yaml), or nothing when it does not exist. Throws
  // IoError naming the file when it cannot be read.
  std::optional<std::string> ReadModelFile(const std::string& model, const std::string& name) const;
  // The fitted feature state saved with the version (features.json), verified.
  FeatureState LoadFeatureState(const VersionInfo& v) const;

  // Moves `channel` to the version `ref` resolves to, recording an event; the channel is created
  // when new. Moving it to the version it holds records nothing and returns no event. Needs no
  // model lock; one index transaction. Throws ConfigError for a bad name or unknown reference.
  std::optional<Event> Promote(const std::string& model, const std::string& ref,
                               const std::string& channel, const Change& change);
  // Moves `channel` back to the live version that held it before its current holder (each
  // rollback undoes one promotion: promote v1, v2, v3, then two rollbacks leave v1). Throws
  // ConfigError when the channel does not exist or has no earlier live holder.
  Event Rollback(const std::string& model, const std::string& channel, const Change& change);
  // A pinned version is never removed by gc.
  void Pin(const std::string& model, const std::string& ref, const Change& change);
  void Unpin(const std::string& model, const std::string& ref, const Change& change);

  // Records an evaluation of the live version `number` and, in the same transaction, the channel
  // moves it earned (each an event with `change.command` and the move's reason). Needs no model
  // lock. Returns the record.
  EvaluationRecord RecordEvaluation(const std::string& model, int64_t number,
                                    const std::string& kind, bool passed, const std::string& reason,
                                    const nlohmann::json& summary,
                                    const std::vector<ChannelMove>& moves, const Change& change);
  // The model's recorded evaluations, oldest first; only those of version `number` when given.
  std::vector<EvaluationRecord> Evaluations(const std::string& model,
                                            std::optional<int64_t> number = std::nullopt) const;

  // Records the start of a run of `model` by this process; returns its id.
  int64_t BeginRun(const std::string& model, const std::string& command);
  // Records its end. `version` is what it published, if anything.
  void EndRun(int64_t run, int exit_code, const std::string& reason, std::optional<int64_t> version,
              const std::vector<InputFile>& inputs);

  // Takes the model's lock (waiting up to `wait_seconds`; 0 = not at all), registers the model when
  // new, and cleans up after writers that died: temporary folders, and version folders whose
  // index row was never committed (or whose gc was). Throws LockedError when the lock stays taken.
  ModelWriter Lock(const std::string& model, double wait_seconds = 0);

  // For the registry's own parts (publish, gc, fsck).
  Index& index() const { return *index_; }
  std::string ModelDir(const std::string& model) const { return root_ + "/" + model; }
  std::string VersionDir(const std::string& model, int64_t number) const;
  VersionInfo Info(const std::string& model, int64_t number) const;

 private:
  Registry(std::string root, Env* env, std::unique_ptr<Index> index);
  std::string root_;
  Env* env_ = nullptr;
  std::unique_ptr<Index> index_;
};

// A version being written: a hidden temporary folder that artifacts are written into, and read
// back from (each read checked against the SHA-256 of what was written) so that the new models
// can be scored before they are published. Destroyed without being published, it removes its
// folder. Not thread-safe.
class VersionDraft final : public ArtifactSink, public ArtifactSource {
 public:
  VersionDraft(VersionDraft&&) noexcept;
  VersionDraft(const VersionDraft&) = delete;
  VersionDraft& operator=(const VersionDraft&) = delete;
  ~VersionDraft() override;

  int64_t number() const { return number_; }
  std::string name() const { return VersionName(number_); }
  // Writes (and fsyncs) one artifact. Throws IoError naming the file (a full disk, ...).
  void Write(const std::string& name, std::string_view bytes) override;
  void WriteJson(const std::string& name, const nlohmann::json& value);
  std::string Describe(const std::string& name) const override { return tmp_ + "/" + name; }
  // Whether `name` was written to this draft.
  bool Has(const std::string& name) const override { return artifacts_.contains(name); }
  // The bytes written as `name`. Throws IoError naming the file when it was not written, cannot be
  // read, or no longer has the SHA-256 it was written with.
  std::string Read(const std::string& name) const override;

 private:
  friend class ModelWriter;
  VersionDraft(Env* env, int64_t number, std::string tmp);
  Env* env_;
  int64_t number_;
  std::string tmp_;
  nlohmann::json artifacts_ = nlohmann::json::object();  // name -> {sha256, bytes}
  bool done_ = false;
};

// What a publish records in the index besides the folder.
struct PublishRecord {
  std::vector<InputFile> inputs;
  nlohmann::json metrics = nlohmann::json::object();  // {"model": {name: value}, "fallback": ...}
  std::optional<int64_t> run;                         // the run that published it
  std::vector<std::string> promote_to;                // channels to move to the new version
  Change change;                                      // the promotion's command and reason
  std::vector<ChannelMove> moves;                     // then these, in order (change.command)
  // The conditional moves are made only when `condition_channel` still holds `condition_holder`
  // (nullopt: no version) at the commit: a retrain judged the challenger against the champion it
  // read at its start, and a rollback since then voids that comparison. "" = no condition.
  std::string condition_channel;
  std::optional<int64_t> condition_holder;
};

// What a writer that died left in a model's folder: its unfinished draft (draft_folder), a version
// whose gc was interrupted (gc_folder), the folder of a version gc had already removed from the
// index (deleted_folder), or of a publish that died before its index commit (orphan_folder).
struct Leftover {
  std::string path, kind, why;
};

// What manifest.json records of a new version (format freshet.manifest/1).
struct ManifestFields {
  std::string version;                // "v000042"
  std::optional<VersionInfo> parent;  // the champion it was trained after
  bool warm_started = false;          // its weights started from the parent's
  std::string device;
  std::vector<InputFile> inputs;
  int64_t parameters = 0;
  nlohmann::json stage_seconds = nlohmann::json::object();
  nlohmann::json runtime = nlohmann::json::object();  // {"torch": ..., "cuda": ...}
};
// The manifest: version, parent, warm start, creation time, the resolved config and its hash, code
// and runtime versions, device, seed, inputs, parameters and stage timings. Publish adds the
// artifacts' checksums.
nlohmann::json BuildManifest(const Config& config, const ManifestFields& fields);

// The index's metrics of an eval.json: {"model": {name: value}, "fallback": {...}}, numbers only.
nlohmann::json IndexedMetrics(const nlohmann::json& eval);

// The outcome of gc.
struct GcResult {
  std::vector<int64_t> removed;
  std::vector<std::pair<int64_t, std::string>> kept;  // version and why (channel, pin, parent...)
};

// The writer of one model: holds its lock until destroyed. Not thread-safe.
class ModelWriter {
 public:
  ModelWriter(ModelWriter&&) noexcept;
  ModelWriter(const ModelWriter&) = delete;
  ModelWriter& operator=(const ModelWriter&) = delete;
  ~ModelWriter();

  const std::string& model() const { return model_; }
  // What Lock() removed after writers that died.
  const std::vector<Leftover>& recovered() const { return recovered_; }
  // Starts the next version (one above every number the model ever used).
  VersionDraft NewVersion();
  // Writes manifest.json (with the SHA-256 and size of every artifact under "artifacts"), fsyncs,
  // renames the folder into place, then commits the version's row, its lineage and metrics and
  // the channel moves in one index transaction. On failure nothing is visible: throws IoError and
  // removes what it wrote.
  VersionInfo Publish(VersionDraft& draft, nlohmann::json manifest, const PublishRecord& record);
  // Removes the model's live versions except the newest `keep_last` and every version that a
  // channel holds or that is pinned, the warm-start parent of one of those, and the version each
  // channel would roll back to. `dry_run` reports without removing.
  GcResult Gc(int64_t keep_last, bool dry_run, const Change& change);
  // Writes <model>/<name> (schema.yaml) atomically: a hidden temporary file, fsynced, renamed into
  // place, the folder fsynced. Throws IoError naming the file.
  void WriteModelFile(const std::string& name, std::string_view bytes);
  // Writes <model>/runs/<run>/<name> the same way (the data_report.json of a run that published
  // nothing) and returns its path.
  std::string WriteRunFile(int64_t run, const std::string& name, std::string_view bytes);

 private:
  friend class Registry;
  ModelWriter(Registry* registry, std::string model, int lock_fd);
  Registry* registry_;
  std::string model_;
  int lock_fd_ = -1;
  int drafts_ = 0;
  std::vector<Leftover> recovered_;
};

}  // namespace freshet
