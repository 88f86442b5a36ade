// The online loop's internals (online.hpp), shared by its files: loop.cc (the stream, the
// micro-batches, checkpoints), batch.cc (one micro-batch: features, predictions, metrics,
// detectors, training), publish.cc (a registry version and the gate), exposition.cc (Prometheus).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "freshet/drift_detectors.hpp"
#include "freshet/online.hpp"
#include "freshet/prometheus.hpp"
#include "freshet/registry.hpp"
#include "online/label_join.h"
#include "online/vocab_growth.h"

namespace freshet::online {

// Whatever the champion is scored with: a snapshot of this run's learner at its last promotion
// (`snapshot`), or a version published elsewhere, scored through OnlineHooks::score_version.
struct Champion {
  int64_t number = 0;
  std::unique_ptr<OnlineLearner> snapshot;
  std::unique_ptr<ArtifactSource> artifacts;  // foreign
  FeatureState state;                         // foreign: its own features
  std::string error;                          // why it cannot be scored ("" = it can)
};

class Runner {
 public:
  Runner(const Config& config, const OnlineOptions& options, const OnlineHooks& hooks);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  OnlineSummary Run();

 private:
  // loop.cc
  void Start();
  bool Restore();
  void StartFresh();
  void OpenChampion(const VersionInfo& v, bool start_from_it);
  void EndWarmup();
  void MaybeCheckpoint(bool force);
  void WriteCheckpointNow();
  void WriteDeadLetters(const std::vector<DeadLetter>& dead);
  void Log(const std::string& line) const;
  std::unique_ptr<OnlineLearner> NewLearner(const ArtifactSource* start);
  // batch.cc
  void Process(const Table& table, const StreamPosition& end);
  bool LabelOnly(const Table& table, int64_t i) const;
  void OnDrift(const DriftDetector& d, size_t index, int64_t record);
  void RunCommand(const std::string& what, const std::string& command, int64_t record,
                  const std::string& detector);
  // publish.cc
  void MaybePublish(bool force);
  void Publish(const std::string& why);
  // exposition.cc
  // The metrics to the /metrics server (at most every 0.5 s) and, with `textfile`, the textfile.
  void ExportMetrics(bool textfile);

  const Config& config_;
  const OnlineConfig& oc_;
  OnlineOptions options_;
  OnlineHooks hooks_;
  Registry registry_;
  std::string dir_;  // <registry>/<model>/online
  std::string dead_path_;
  int lock_fd_ = -1;
  std::FILE* dead_ = nullptr;
  std::FILE* predictions_ = nullptr;
  std::unique_ptr<StreamSource> source_;
  std::unique_ptr<MetricsServer> server_;

  // The state a checkpoint holds.
  bool ready_ = false;  // the FeatureState is fitted (warm-up over)
  FeatureState state_;
  std::unique_ptr<VocabGrowth> growth_;
  std::unique_ptr<OnlineLearner> learner_;
  std::unique_ptr<PrequentialMetrics> metrics_;       // since the stream's start
  std::unique_ptr<PrequentialMetrics> window_;        // the learner since the last publish
  std::unique_ptr<PrequentialMetrics> champ_window_;  // the champion on the same rows
  std::vector<std::unique_ptr<DriftDetector>> detectors_;
  std::unique_ptr<PendingLabels> pending_;
  Champion champion_;
  bool has_champion_ = false;
  StreamPosition position_, publish_from_;
  int64_t trained_ = 0, dead_letters_ = 0, expired_ = 0, drift_events_ = 0, unlabelled_ = 0;
  int64_t unmatched_ = 0;  // labels whose record was not held
  int64_t dead_letter_bytes_ = 0, predictions_bytes_ = 0, boost_left_ = 0, fallback_left_ = 0;
  int64_t window_trained_ = 0;  // rows learnt since the last publish
  std::vector<std::string> published_;
  bool publish_requested_ = false, reset_requested_ = false;

  // This run only.
  struct Buffers {
    std::vector<float> dense, train_dense;
    std::vector<int64_t> cats, train_cats;
    std::vector<double> scores, champion, train_labels;
  } buffers_;
  Table warmup_;
  OnlineSummary summary_;
  using Clock = std::chrono::steady_clock;
  Clock::time_point started_, last_checkpoint_, last_publish_;
  int64_t records_at_checkpoint_ = 0;
  double checkpoint_unix_ = 0;  // wall time of the last checkpoint
  double rate_ = 0;             // records/s over the last interval
  Clock::time_point rate_at_, exported_at_;
  int64_t rate_records_ = 0;
};

// "2026-12-06T20:11:23Z"
std::string UtcNow();
double UnixNow();

}  // namespace freshet::online
