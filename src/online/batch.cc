// One micro-batch of the online loop: grow the vocabularies, transform, predict (learner and
// champion), score each labelled row (prequential metrics, drift detectors, responses), hold the
// rows whose label is still to come, then learn from the labelled rows in stream order.
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <spdlog/spdlog.h>

#include "features/vocab.h"
#include "freshet/error.hpp"
#include "online/runner.h"

extern char** environ;

namespace freshet::online {
namespace {

// Why `y` is not a label of `task` ("" when it is one).
std::string BadLabel(Task task, double y, int64_t outputs) {
  if (!std::isfinite(y)) return "is not a finite number";
  if (task == Task::kBinary && y != 0 && y != 1) return "must be 0 or 1";
  if (task == Task::kMulticlass && (y < 0 || y != std::floor(y) || y >= outputs)) {
    return "must be a class id in [0, " + std::to_string(outputs) + ")";
  }
  return "";
}

}  // namespace

// Whether row i has no feature value: a late label's line (key and label only).
bool Runner::LabelOnly(const Table& table, int64_t i) const {
  for (const auto& c : table.columns) {
    if (c.name == config_.data.label || c.name == oc_.labels.key) continue;
    if (c.is_valid(i) && (c.is_string() || !std::isnan(c.as_double(i)))) return false;
  }
  return true;
}

namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void Runner::Process(const Table& table, const StreamPosition& end) {
  const int64_t n = table.rows();
  const int64_t base = position_.records;
  if (n == 0) {
    position_ = end;
    return;
  }
  if (growth_->Grow(table, &state_)) {
    const auto cards = state_.cardinalities();
    learner_->Grow(cards);
    if (champion_.snapshot) champion_.snapshot->Grow(cards);
  }
  const int64_t dd = state_.dense_dim(), cd = state_.categorical_dim(), k = learner_->outputs();
  // The batch's buffers live as long as the run: a batch allocates nothing once they are grown.
  std::vector<float>& dense = buffers_.dense;
  std::vector<int64_t>& cats = buffers_.cats;
  std::vector<double>& scores = buffers_.scores;
  dense.resize(static_cast<size_t>(n * dd));
  cats.resize(static_cast<size_t>(n * cd));
  TransformFeatures(table, state_, Device{}, dense.data(), cats.data(), nullptr);
  const FeatureRows rows{n, dd, cd, dense.data(), cats.data()};
  scores.resize(static_cast<size_t>(n * k));
  learner_->Predict(rows, scores.data());

  // The champion on the same rows, for the gate and for use_fallback.
  std::vector<double>& champ = buffers_.champion;
  champ.clear();
  if (has_champion_ && champion_.error.empty()) {
    if (champion_.snapshot) {
      champ.resize(scores.size());
      champion_.snapshot->Predict(rows, champ.data());
    } else if (hooks_.score_version) {
      try {
        const Prediction p = hooks_.score_version(*champion_.artifacts, champion_.state, table);
        if (p.rows != n || p.outputs != k) {
          throw ArtifactError("it gave " + std::to_string(p.rows) + " x " +
                              std::to_string(p.outputs) + " predictions for " + std::to_string(n) +
                              " x " + std::to_string(k));
        }
        champ.assign(p.values.begin(), p.values.end());
      } catch (const Error& e) {
        champion_.error = e.what();
        spdlog::warn("online {}: the champion v{} cannot be scored on the stream: {}",
                     config_.model, champion_.number, e.what());
      }
    } else {
      champion_.error = "no LibTorch to score it with";
    }
  }

  const Column* label = table.Find(config_.data.label);
  const Column* key = oc_.labels.key.empty() ? nullptr : table.Find(oc_.labels.key);
  std::vector<float>& tdense = buffers_.train_dense;
  std::vector<int64_t>& tcats = buffers_.train_cats;
  std::vector<double>& tlabels = buffers_.train_labels;
  tdense.clear();
  tcats.clear();
  tlabels.clear();
  const bool needs_loss = std::any_of(oc_.detectors.begin(), oc_.detectors.end(),
                                      [](const DetectorSpec& d) { return d.input == "loss"; });
  const auto learn = [&](const float* d, const int64_t* c, double y) {
    tdense.insert(tdense.end(), d, d + dd);
    tcats.insert(tcats.end(), c, c + cd);
    tlabels.push_back(y);
  };
  const auto score = [&](const double* s, double y, const double* ch, int64_t record) {
    metrics_->Add(s, &y, 1);
    if (options_.publish) {  // what the gate compares at the next publish
      window_->Add(s, &y, 1);
      if (ch != nullptr) champ_window_->Add(ch, &y, 1);
    }
    const double error = metrics_->RowError(s, y);
    const double loss = needs_loss ? metrics_->RowLoss(s, y) : 0.0;
    for (size_t i = 0; i < detectors_.size(); ++i) {
      if (detectors_[i]->Update(oc_.detectors[i].input == "loss" ? loss : error)) {
        OnDrift(*detectors_[i], i, record);
      }
    }
  };
  std::vector<DeadLetter> bad;
  std::string lines;
  for (int64_t i = 0; i < n; ++i) {
    const double* s = &scores[i * k];
    const double* ch = champ.empty() ? nullptr : &champ[i * k];
    const int64_t record = base + i;
    const bool has_label =
        label != nullptr && label->is_valid(i) && !std::isnan(label->as_double(i));
    const double y = has_label ? label->as_double(i) : 0.0;
    if (has_label) {
      if (const std::string why = BadLabel(config_.task, y, k); !why.empty()) {
        bad.push_back({end.Describe() + " row " + std::to_string(i),
                       "column " + config_.data.label + ": the label " + why + ", got " + Num(y),
                       ""});
        continue;
      }
    }
    std::string key_value;
    const bool keyed = key != nullptr && key->is_valid(i);
    if (keyed) {
      key_value = Token(*key, i);
      const int64_t gone = pending_->ExpireBefore(record);
      expired_ += gone;
      summary_.expired += gone;
    }
    if (predictions_ != nullptr) {
      const double* served = fallback_left_ > 0 && ch != nullptr ? ch : s;
      lines += std::to_string(record) + "," + key_value + "," + Num(served[0]);
      for (int64_t j = 1; j < k; ++j) lines += ";" + Num(served[j]);
      lines += "\n";
    }
    if (keyed) {
      if (!has_label) {
        HeldRow h;
        h.key = key_value;
        h.record = record;
        h.dense.assign(&dense[i * dd], &dense[i * dd] + dd);
        h.cats.assign(&cats[i * cd], &cats[i * cd] + cd);
        h.scores.assign(s, s + k);
        if (ch != nullptr) h.champion.assign(ch, ch + k);
        const int64_t gone = pending_->Hold(std::move(h));
        expired_ += gone;
        summary_.expired += gone;
        continue;
      }
      if (auto h = pending_->Take(key_value)) {
        score(h->scores.data(), y, h->champion.empty() ? nullptr : h->champion.data(), record);
        learn(h->dense.data(), h->cats.data(), y);
        continue;
      }
      if (LabelOnly(table, i)) {  // the label of a record no longer held (expired, or never seen)
        ++unmatched_;
        ++summary_.unmatched;
        continue;
      }
    } else if (!has_label) {
      ++unlabelled_;
      continue;
    }
    score(s, y, ch, record);
    learn(&dense[i * dd], &cats[i * cd], y);
  }
  WriteDeadLetters(bad);
  if (predictions_ != nullptr && !lines.empty()) {
    if (std::fwrite(lines.data(), 1, lines.size(), predictions_) != lines.size()) {
      throw IoError(options_.predictions + ": cannot write: " + std::strerror(errno));
    }
    predictions_bytes_ += static_cast<int64_t>(lines.size());
  }
  const int64_t gone = pending_->ExpireBefore(end.records);
  expired_ += gone;
  summary_.expired += gone;

  if (reset_requested_) {
    reset_requested_ = false;
    if (champion_.snapshot) {
      learner_->Restore(champion_.snapshot->Save(), "the champion snapshot");
    } else if (champion_.artifacts && oc_.learner == "model") {
      learner_ = NewLearner(champion_.artifacts.get());
    } else if (champion_.artifacts && hooks_.read_linear) {
      learner_->SetLinear(hooks_.read_linear(*champion_.artifacts, state_));
    }
    if (boost_left_ > 0) learner_->SetLearningRateFactor(oc_.response.boost_factor);
    Log("reset the learner to the champion v" + std::to_string(champion_.number));
  }
  const int64_t m = static_cast<int64_t>(tlabels.size());
  if (m > 0) {
    learner_->Train(FeatureRows{m, dd, cd, tdense.data(), tcats.data()}, tlabels.data());
    trained_ += m;
    window_trained_ += m;
    summary_.trained += m;
    if (boost_left_ > 0) {
      boost_left_ -= m;
      if (boost_left_ <= 0) {
        boost_left_ = 0;
        learner_->SetLearningRateFactor(1.0);
      }
    }
  }
  fallback_left_ = std::max<int64_t>(0, fallback_left_ - n);
  position_ = end;
}

void Runner::OnDrift(const DriftDetector& d, size_t index, int64_t record) {
  ++drift_events_;
  ++summary_.drift_events;
  const std::string name = d.Name() + "[" + std::to_string(index) + "]";
  spdlog::warn("online {}: drift detected by {} at record {} ({})", config_.model, name, record,
               d.Describe());
  for (const auto& r : oc_.detectors[index].responses) {
    if (r == "alert") {
      RunCommand("alert", oc_.response.alert_command, record, name);
    } else if (r == "command") {
      RunCommand("command", oc_.response.command, record, name);
    } else if (r == "boost_lr") {
      learner_->SetLearningRateFactor(oc_.response.boost_factor);
      boost_left_ = oc_.response.boost_records;
    } else if (r == "use_fallback") {
      if (has_champion_) {
        fallback_left_ = oc_.response.fallback_records;
      } else {
        spdlog::warn("online {}: use_fallback: no champion to serve with", config_.model);
      }
    } else if (r == "reset_to_champion") {
      if (has_champion_ && champion_.error.empty()) {
        reset_requested_ = true;
      } else {
        spdlog::warn("online {}: reset_to_champion: no champion to reset to", config_.model);
      }
    } else if (r == "publish") {
      publish_requested_ = true;
    }
  }
}

// Starts `sh -c command` without waiting for it, with the event in its environment.
void Runner::RunCommand(const std::string& what, const std::string& command, int64_t record,
                        const std::string& detector) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("FRESHET_EVENT=drift");
  env_strings.push_back("FRESHET_MODEL=" + config_.model);
  env_strings.push_back("FRESHET_CONFIG=" + config_.path);
  env_strings.push_back("FRESHET_DETECTOR=" + detector);
  env_strings.push_back("FRESHET_RECORD=" + std::to_string(record));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", c = "-c", cmd = command;
  char* argv[] = {sh.data(), c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  // Reap the commands started earlier that have finished.
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  if (const int rc = ::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data()); rc != 0) {
    spdlog::error("online {}: {}: cannot run `{}`: {}", config_.model, what, command,
                  std::strerror(rc));
    return;
  }
  spdlog::info("online {}: {}: started `{}` (pid {})", config_.model, what, command, pid);
}

}  // namespace freshet::online
