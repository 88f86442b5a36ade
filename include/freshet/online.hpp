// `freshet online`: a model that keeps learning from a stream. Each micro-batch of records is
// parsed and checked (bad records to the dead-letter file), transformed with the FeatureState
// (vocabularies grow within their caps), predicted, scored (prequential metrics, drift
// detectors), then learnt from. The run checkpoints its whole state with the exact stream
// position, resumes from it after any crash with nothing lost or learnt twice, and publishes the
// current model to the registry at a set cadence, promoted by the gate on the prequential
// metrics against the champion scored on the same records.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/features.hpp"
#include "freshet/online_learner.hpp"
#include "freshet/stream.hpp"
#include "freshet/table.hpp"
#include "freshet/trainer.hpp"

namespace freshet {

// What the loop needs from LibTorch, provided by the caller (the CLI opens libfreshet_torch.so
// only when a hook is called). A hook that is empty makes the feature that needs it a ConfigError
// (learner: model) or skips it with a warning (champion scoring).
struct OnlineHooks {
  // A learner of the config's model_spec family, starting from `start`'s weights when given.
  std::function<std::unique_ptr<OnlineLearner>(const FeatureState&, const ArtifactSource* start)>
      make_model_learner;
  // Writes the learner's model files (kModelFiles) to `sink`.
  std::function<void(OnlineLearner&, const FeatureState&, ArtifactSink&)> export_model;
  // The weights of a linear version (reset_to_champion of a native learner).
  std::function<LinearWeights(const ArtifactSource&, const FeatureState&)> read_linear;
  // Scores raw rows with a version and its own FeatureState.
  std::function<Prediction(const ArtifactSource&, const FeatureState&, const Table&)> score_version;
  std::function<nlohmann::json()> runtime_versions;
};

struct OnlineOptions {
  std::string source;         // "-", a followed file, or a chunk folder
  std::string format;         // csv | jsonl; "" = the config's online.format
  std::string pattern = "*";  // a chunk folder's files (hidden files are never read)
  // Stop once the source has had nothing new for `idle_exit_seconds` (0 = never; standard input
  // stops at its end anyway).
  double idle_exit_seconds = 0;
  int64_t max_records = 0;   // stop after this many records (0 = no limit)
  int metrics_port = -1;     // serve /metrics on 127.0.0.1:<port>; -1 = off, 0 = any free port
  std::string metrics_file;  // node_exporter textfile, rewritten at each checkpoint
  // Appends one CSV line per scored record: record,key,prediction (the learner's, or the
  // champion's while a use_fallback response lasts). "" = none.
  std::string predictions;
  bool publish = true;  // false: never publish (checkpoints only)
  std::string command;  // the command line, recorded with registry events
  // Set by a signal handler: the loop checkpoints, publishes (unless nothing is new) and returns.
  const std::atomic<int>* stop = nullptr;
};

// What a run did, printed as JSON by the CLI at the end.
struct OnlineSummary {
  int64_t records = 0;       // records consumed this run (good and dead letters)
  int64_t trained = 0;       // rows learnt from this run
  int64_t dead_letters = 0;  // this run
  int64_t expired = 0;       // held records whose label never came, this run
  int64_t unmatched = 0;     // label-only records whose record was not held, this run
  int64_t drift_events = 0;  // this run
  double seconds = 0;
  bool resumed = false;
  StreamPosition start, end;
  std::vector<std::string> published;  // versions
  std::string stop_reason;             // "end of input", "idle", "max records", "signal"
  nlohmann::json metrics;              // the prequential metrics since the stream's start
  nlohmann::json ToJson() const;
};

// Runs the loop until the source ends, goes idle, reaches max_records or *options.stop is set.
// Takes <registry>/<model>/online/LOCK for the run (LockedError when another run holds it).
// Throws ConfigError for options the config cannot serve, DataError when the source cannot be
// opened, IoError when a checkpoint or publish fails (the last good checkpoint stays).
OnlineSummary RunOnline(const Config& config, const OnlineOptions& options,
                        const OnlineHooks& hooks);

}  // namespace freshet
