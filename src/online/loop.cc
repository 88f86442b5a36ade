// The online loop (online.hpp): start or resume, read micro-batches until the source ends, goes
// idle or a signal arrives, checkpoint, publish.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "online/checkpoint.h"
#include "online/runner.h"

namespace freshet::online {
namespace {

std::string SourceFormat(const Config& config, const OnlineOptions& options) {
  std::string f = options.format.empty() ? config.online.format : options.format;
  if (f != "auto") return f;
  const std::string& s = options.source;
  const auto ends = [&](const char* ext) {
    const size_t n = std::strlen(ext);
    return s.size() >= n && s.compare(s.size() - n, n, ext) == 0;
  };
  return ends(".jsonl") || ends(".ndjson") || ends(".json") ? "jsonl" : "csv";
}

// Cuts a file back to `bytes` (what the last checkpoint had written of it) and opens it to append.
std::FILE* OpenAppendAt(const std::string& path, int64_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
  if (::ftruncate(fd, bytes) != 0 || ::lseek(fd, 0, SEEK_END) < 0) {
    const int e = errno;
    ::close(fd);
    throw IoError(path + ": cannot truncate to " + std::to_string(bytes) + ": " + std::strerror(e));
  }
  std::FILE* f = ::fdopen(fd, "a");
  if (f == nullptr) {
    ::close(fd);
    throw IoError(path + ": cannot open: " + std::strerror(errno));
  }
  return f;
}

void Sync(std::FILE* f, const std::string& path) {
  if (f == nullptr) return;
  if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0) {
    throw IoError(path + ": cannot write: " + std::strerror(errno));
  }
}

}  // namespace

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Runner::Runner(const Config& config, const OnlineOptions& options, const OnlineHooks& hooks)
    : config_(config),
      oc_(config.online),
      options_(options),
      hooks_(hooks),
      registry_(Registry::Open(config.registry, Registry::Mode::kReadWrite)) {
  Env* env = registry_.env();
  const std::string model_dir = registry_.ModelDir(config.model);
  if (!env->Exists(model_dir)) env->CreateDir(model_dir);
  dir_ = model_dir + "/online";
  if (!env->Exists(dir_)) env->CreateDir(dir_);
  dead_path_ = oc_.dead_letters.empty() ? dir_ + "/dead_letters.jsonl" : oc_.dead_letters;
  const std::string lock = dir_ + "/LOCK";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw IoError(lock + ": cannot open: " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw LockedError(lock + ": another `freshet online` of model \"" + config.model +
                      "\" is running");
  }
}

Runner::~Runner() {
  if (dead_ != nullptr) std::fclose(dead_);
  if (predictions_ != nullptr) std::fclose(predictions_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Runner::Log(const std::string& line) const {
  spdlog::info("online {}: {}", config_.model, line);
}

std::unique_ptr<OnlineLearner> Runner::NewLearner(const ArtifactSource* start) {
  if (oc_.learner == "model") {
    if (!hooks_.make_model_learner) {
      throw ConfigError(config_.path + ": online.learner: model needs LibTorch, which is absent");
    }
    return hooks_.make_model_learner(state_, start);
  }
  return MakeLinearLearner(oc_, config_.task, state_.dense_dim(), state_.cardinalities());
}

OnlineSummary Runner::Run() {
  started_ = last_checkpoint_ = last_publish_ = rate_at_ = Clock::now();
  Start();
  summary_.start = position_;
  auto idle_since = Clock::now();
  const auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  while (true) {
    if (options_.stop != nullptr && options_.stop->load() != 0) {
      summary_.stop_reason = "signal";
      break;
    }
    int64_t want = oc_.batch_rows;
    if (options_.max_records > 0) {
      const int64_t left = options_.max_records - summary_.records;
      if (left <= 0) {
        summary_.stop_reason = "max records";
        break;
      }
      want = std::min(want, left);
    }
    RecordBatch batch = source_->Next(want, oc_.batch_seconds);
    if (batch.records() == 0) {
      if (source_->Finished()) {
        summary_.stop_reason = "end of input";
        break;
      }
      if (options_.idle_exit_seconds > 0 &&
          seconds_since(idle_since) >= options_.idle_exit_seconds) {
        summary_.stop_reason = "idle";
        break;
      }
      MaybeCheckpoint(false);
      MaybePublish(false);
      ExportMetrics(false);
      continue;
    }
    idle_since = Clock::now();
    summary_.records += batch.records();
    WriteDeadLetters(batch.dead);
    if (!ready_) {
      if (warmup_.columns.empty()) {
        warmup_ = std::move(batch.table);
      } else {
        warmup_.Append(batch.table);
      }
      position_ = batch.end;
      if (warmup_.rows() >= oc_.warmup_rows) EndWarmup();
    } else {
      Process(batch.table, batch.end);
    }
    MaybeCheckpoint(false);
    MaybePublish(false);
    ExportMetrics(false);
  }
  if (!ready_ && warmup_.rows() > 0) EndWarmup();
  WriteCheckpointNow();
  MaybePublish(true);
  WriteCheckpointNow();
  summary_.end = position_;
  summary_.seconds = seconds_since(started_);
  summary_.metrics = metrics_ ? metrics_->ToJson() : nlohmann::json(nullptr);
  return summary_;
}

void Runner::Start() {
  std::string format = SourceFormat(config_, options_);
  StreamSchema schema;
  schema.columns = config_.Columns();
  if (!oc_.labels.key.empty()) schema.columns.push_back({oc_.labels.key, ColumnKind::kCategorical});
  schema.format = format;
  schema.hdf5_group = config_.data.hdf5_group;
  schema.max_record_bytes = oc_.max_record_bytes;
  pending_ = std::make_unique<PendingLabels>(oc_.labels.window_records, oc_.labels.max_pending);
  for (const auto& d : oc_.detectors) detectors_.push_back(MakeDriftDetector(d));
  const bool resumed = Restore();
  summary_.resumed = resumed;
  if (!resumed) StartFresh();
  dead_ = OpenAppendAt(dead_path_, dead_letter_bytes_);
  if (!options_.predictions.empty()) {
    predictions_ = OpenAppendAt(options_.predictions, resumed ? predictions_bytes_ : 0);
  }
  source_ =
      OpenStreamSource(options_.source, schema, options_.pattern, resumed ? &position_ : nullptr);
  if (!resumed) position_ = source_->Position();
  publish_from_ = resumed ? publish_from_ : position_;
  if (options_.metrics_port >= 0) {
    server_ = std::make_unique<MetricsServer>(options_.metrics_port);
    Log("serving Prometheus metrics on http://127.0.0.1:" + std::to_string(server_->port()) +
        "/metrics");
  }
  Log(std::string(resumed ? "resuming" : "starting") + " at " + position_.Describe() + " of " +
      source_->Describe() + " (learner " + oc_.learner + ", " + format + ")");
  ExportMetrics(true);
}

void Runner::StartFresh() {
  dead_letter_bytes_ = 0;
  const auto champion = registry_.Holder(config_.model, "champion");
  if (!champion) {
    Log("no champion: fitting the features on the first " + std::to_string(oc_.warmup_rows) +
        " records");
    return;
  }
  OpenChampion(*champion, true);
}

// Makes `v` the champion. With `start_from_it` (a fresh start), the features and, when the model
// can be read into this learner, the weights start from it.
void Runner::OpenChampion(const VersionInfo& v, bool start_from_it) {
  champion_ = Champion{};
  champion_.number = v.number;
  has_champion_ = true;
  champion_.artifacts = registry_.Artifacts(v);
  champion_.state = registry_.LoadFeatureState(v);
  if (!start_from_it) return;
  state_ = champion_.state;
  growth_ = std::make_unique<VocabGrowth>(state_);
  if (oc_.learner == "model") {
    learner_ = NewLearner(champion_.artifacts.get());
  } else {
    learner_ = NewLearner(nullptr);
    if (hooks_.read_linear) {
      try {
        learner_->SetLinear(hooks_.read_linear(*champion_.artifacts, state_));
        champion_.snapshot = NewLearner(nullptr);
        champion_.snapshot->Restore(learner_->Save(), "champion " + v.name);
        Log("starting from the champion " + v.name + " (features and weights)");
      } catch (const Error& e) {
        Log("starting from the champion " + v.name + "'s features, new weights (" + e.what() + ")");
      }
    }
  }
  ready_ = true;
  metrics_ = std::make_unique<PrequentialMetrics>(config_.task, learner_->outputs(),
                                                  oc_.metric_window, oc_.fading_factor);
  window_ = std::make_unique<PrequentialMetrics>(config_.task, learner_->outputs(),
                                                 oc_.metric_window, oc_.fading_factor);
  champ_window_ = std::make_unique<PrequentialMetrics>(config_.task, learner_->outputs(),
                                                       oc_.metric_window, oc_.fading_factor);
}

void Runner::EndWarmup() {
  Log("fitting the features on " + std::to_string(warmup_.rows()) + " records");
  state_ = FitFeatures(warmup_, config_.features);
  growth_ = std::make_unique<VocabGrowth>(state_);
  learner_ = NewLearner(nullptr);
  metrics_ = std::make_unique<PrequentialMetrics>(config_.task, learner_->outputs(),
                                                  oc_.metric_window, oc_.fading_factor);
  window_ = std::make_unique<PrequentialMetrics>(config_.task, learner_->outputs(),
                                                 oc_.metric_window, oc_.fading_factor);
  champ_window_ = std::make_unique<PrequentialMetrics>(config_.task, learner_->outputs(),
                                                       oc_.metric_window, oc_.fading_factor);
  ready_ = true;
  Table rows = std::move(warmup_);
  warmup_ = Table{};
  Process(rows, position_);
}

void Runner::WriteDeadLetters(const std::vector<DeadLetter>& dead) {
  for (const auto& d : dead) {
    const nlohmann::json j = {{"time", UtcNow()},
                              {"source", options_.source},
                              {"position", d.position},
                              {"reason", d.reason},
                              {"record", d.record}};
    const std::string line =
        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), dead_) != line.size()) {
      throw IoError(dead_path_ + ": cannot write: " + std::strerror(errno));
    }
    dead_letter_bytes_ += static_cast<int64_t>(line.size());
    ++dead_letters_;
    ++summary_.dead_letters;
  }
}

void Runner::MaybeCheckpoint(bool force) {
  if (!ready_) return;
  const double since = std::chrono::duration<double>(Clock::now() - last_checkpoint_).count();
  if (force || position_.records - records_at_checkpoint_ >= oc_.checkpoint_records ||
      since >= oc_.checkpoint_seconds) {
    WriteCheckpointNow();
  }
}

void Runner::WriteCheckpointNow() {
  if (!ready_) return;
  Sync(dead_, dead_path_);
  Sync(predictions_, options_.predictions);
  nlohmann::json detectors = nlohmann::json::array();
  for (const auto& d : detectors_) detectors.push_back(d->Save());
  nlohmann::json champion = nullptr;
  if (has_champion_) {
    champion = {{"number", champion_.number}, {"snapshot", champion_.snapshot != nullptr}};
  }
  Checkpoint c;
  c.state = {{"format", 1},
             {"model", config_.model},
             {"learner", oc_.learner},
             {"time", UtcNow()},
             {"position", position_.ToJson()},
             {"publish_from", publish_from_.ToJson()},
             {"features", state_.ToJson()},
             {"metrics", metrics_->Save()},
             {"window", window_->Save()},
             {"champion_window", champ_window_->Save()},
             {"detectors", detectors},
             {"pending", pending_->Save()},
             {"champion", champion},
             {"published", published_},
             {"counters",
              {{"trained", trained_},
               {"dead_letters", dead_letters_},
               {"dead_letter_bytes", dead_letter_bytes_},
               {"predictions_bytes", predictions_bytes_},
               {"expired", expired_},
               {"drift_events", drift_events_},
               {"unlabelled", unlabelled_},
               {"unmatched", unmatched_},
               {"boost_left", boost_left_},
               {"fallback_left", fallback_left_},
               {"window_trained", window_trained_}}}};
  c.learner = learner_->Save();
  if (champion_.snapshot) c.champion = champion_.snapshot->Save();
  WriteCheckpoint(registry_.env(), dir_, c);
  last_checkpoint_ = Clock::now();
  checkpoint_unix_ = UnixNow();
  records_at_checkpoint_ = position_.records;
  ExportMetrics(true);
}

bool Runner::Restore() {
  auto c = ReadCheckpoint(registry_.env(), dir_);
  if (!c) return false;
  const std::string path = dir_ + "/" + kCheckpointFile;
  const auto& s = c->state;
  try {
    if (s.at("learner").get<std::string>() != oc_.learner) {
      throw ConfigError(path + ": written by learner " + s.at("learner").get<std::string>() +
                        ", the config says online.learner: " + oc_.learner +
                        "; move the online folder away to start the stream over");
    }
    if (s.at("detectors").size() != detectors_.size()) {
      throw ConfigError(path + ": holds " + std::to_string(s.at("detectors").size()) +
                        " drift detectors, the config has " + std::to_string(detectors_.size()) +
                        "; move the online folder away to start the stream over");
    }
    position_ = StreamPosition::FromJson(s.at("position"));
    publish_from_ = StreamPosition::FromJson(s.at("publish_from"));
    state_ = FeatureState::FromJson(s.at("features"), path);
    growth_ = std::make_unique<VocabGrowth>(state_);
    learner_ = NewLearner(nullptr);
    learner_->Restore(c->learner, path);
    const int64_t k = learner_->outputs();
    metrics_ =
        std::make_unique<PrequentialMetrics>(config_.task, k, oc_.metric_window, oc_.fading_factor);
    window_ =
        std::make_unique<PrequentialMetrics>(config_.task, k, oc_.metric_window, oc_.fading_factor);
    champ_window_ =
        std::make_unique<PrequentialMetrics>(config_.task, k, oc_.metric_window, oc_.fading_factor);
    metrics_->Restore(s.at("metrics"));
    window_->Restore(s.at("window"));
    champ_window_->Restore(s.at("champion_window"));
    for (size_t i = 0; i < detectors_.size(); ++i) {
      try {
        detectors_[i]->Restore(s.at("detectors")[i]);
      } catch (const ArtifactError& e) {  // its settings changed since: it starts afresh
        spdlog::warn("online {}: {}: drift detector {} starts afresh: {}", config_.model, path, i,
                     e.what());
        detectors_[i] = MakeDriftDetector(oc_.detectors[i]);
      }
    }
    pending_->Restore(s.at("pending"));
    published_ = s.at("published").get<std::vector<std::string>>();
    const auto& n = s.at("counters");
    trained_ = n.at("trained").get<int64_t>();
    dead_letters_ = n.at("dead_letters").get<int64_t>();
    dead_letter_bytes_ = n.at("dead_letter_bytes").get<int64_t>();
    predictions_bytes_ = n.at("predictions_bytes").get<int64_t>();
    expired_ = n.at("expired").get<int64_t>();
    drift_events_ = n.at("drift_events").get<int64_t>();
    unlabelled_ = n.at("unlabelled").get<int64_t>();
    unmatched_ = n.at("unmatched").get<int64_t>();
    boost_left_ = n.at("boost_left").get<int64_t>();
    fallback_left_ = n.at("fallback_left").get<int64_t>();
    window_trained_ = n.at("window_trained").get<int64_t>();
    if (boost_left_ > 0) learner_->SetLearningRateFactor(oc_.response.boost_factor);
    const auto& champ = s.at("champion");
    if (!champ.is_null()) {
      const int64_t number = champ.at("number").get<int64_t>();
      if (champ.at("snapshot").get<bool>()) {
        champion_ = Champion{};
        champion_.number = number;
        champion_.snapshot = NewLearner(nullptr);
        champion_.snapshot->Restore(c->champion, path + " (champion)");
        has_champion_ = true;
      } else {
        try {
          OpenChampion(registry_.Resolve(config_.model, std::to_string(number)), false);
        } catch (const Error& e) {
          champion_ = Champion{};
          champion_.number = number;
          champion_.error = e.what();
          has_champion_ = true;
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw ArtifactError(path + ": not a freshet online checkpoint: " + e.what());
  }
  ready_ = true;
  records_at_checkpoint_ = position_.records;
  return true;
}

}  // namespace freshet::online
