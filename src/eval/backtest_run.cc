// The backtest's replay of the retraining cadences (include/freshet/backtest.hpp).
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include <spdlog/spdlog.h>

#include "eval/backtest_internal.h"
#include "freshet/comparison.hpp"
#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "freshet/validate.hpp"

namespace freshet {
namespace backtest {

double PartitionMetric(const Config& config, const std::string& metric, int64_t num_classes,
                       const std::vector<float>& preds, const History& history, size_t p) {
  MetricOptions options;
  options.threshold = config.evaluation.threshold;
  options.calibration_bins = config.evaluation.calibration_bins;
  return MetricValue(metric, config.task, num_classes, preds, history.labels[p], history.weights[p],
                     options);
}

double MeanMetric(const std::vector<PartitionScore>& scores) {
  double sum = 0;
  int64_t n = 0;
  for (const auto& s : scores) {
    if (std::isfinite(s.metric)) sum += s.metric, ++n;
  }
  return n > 0 ? sum / static_cast<double>(n) : std::nan("");
}

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A folder made under `parent` (or $TMPDIR, or /tmp) and removed with everything in it when this
// goes out of scope.
class TempFolder {
 public:
  explicit TempFolder(const std::string& parent) {
    std::string base = parent;
    if (base.empty()) {
      const char* env = std::getenv("TMPDIR");
      base = env != nullptr && *env != '\0' ? env : "/tmp";
    }
    std::string pattern = base + "/freshet-backtest-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw IoError(base + ": cannot make a temporary folder for the backtest's models: " +
                    std::strerror(errno));
    }
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) spdlog::warn("could not remove {}: {}", path_, ec.message());
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

History ReadHistory(const Config& config, const std::vector<std::string>& partitions) {
  History h;
  for (const std::string& path : partitions) {
    Table t = ReadPartition(path, config.Columns(), config.data.hdf5_group);
    CheckPartition(t, config, path);
    if (t.rows() == 0) throw DataError(path + ": the partition holds no rows");
    h.names.push_back(std::filesystem::path(path).filename().string());
    h.labels.push_back(EvalLabels(config, t));
    h.weights.push_back(EvalWeights(config, t));
    h.tables.push_back(std::move(t));
  }
  return h;
}

Table Concat(const History& h, int64_t begin, int64_t end) {
  Table t = h.tables[static_cast<size_t>(begin)];
  for (int64_t i = begin + 1; i < end; ++i) t.Append(h.tables[static_cast<size_t>(i)]);
  return t;
}

// The models of one cadence: each retrain's in its own folder; the one it replaces is removed
// once the new one has been trained (a warm start reads it until then).
CadenceResult ReplayCadence(const Config& config, const History& history, int cadence,
                            const std::string& metric, const BacktestOptions& options,
                            const BacktestHooks& hooks, const std::string& temp) {
  CadenceResult c;
  c.name = "k=" + std::to_string(cadence);
  c.cadence = cadence;
  c.learner = config.model_spec.kind;
  const int window = config.data.train_window;
  std::optional<FeatureState> previous;
  std::unique_ptr<FolderArtifacts> previous_model;
  std::string previous_dir;
  for (const Retrain& r :
       PlanCadence(static_cast<int64_t>(history.tables.size()), window, cadence)) {
    const size_t at = static_cast<size_t>(r.at);
    const Table train = Concat(history, r.train_begin, r.train_end);
    const std::string dir = temp + "/k" + std::to_string(cadence) + "-" + std::to_string(r.at);
    std::filesystem::create_directories(dir);
    auto model = std::make_unique<FolderArtifacts>(dir);
    const auto started = Clock::now();
    FeatureState state =
        FitFeatures(train, config.features, previous ? &*previous : nullptr, options.device);
    TrainOptions to;
    to.warm_start = config.train.warm_start ? previous_model.get() : nullptr;
    to.out = model.get();
    const TrainOutcome out = hooks.train(state, train, history.tables[at], to);
    const double seconds = Since(started);
    c.train_seconds += seconds;
    c.train_rows += train.rows() * out.main.epochs;
    ++c.retrains;
    spdlog::info("backtest {}: retrained at {} on {} .. {} ({} rows, {} epochs{}) in {:.2f} s",
                 c.name, history.names[at], history.names[static_cast<size_t>(r.train_begin)],
                 history.names[static_cast<size_t>(r.train_end - 1)], train.rows(), out.main.epochs,
                 out.main.warm_started ? ", warm start" : "", seconds);
    for (int64_t p = r.score_begin; p < r.score_end; ++p) {
      const size_t i = static_cast<size_t>(p);
      std::vector<float> preds;
      int64_t k = out.num_classes;
      if (p == r.at) {
        preds = out.main.eval_predictions;  // the trainer scored the first one already
      } else {
        VersionScores s = hooks.score(*model, state, history.tables[i]);
        if (!s.main_error.empty()) {
          throw IoError("backtest " + c.name + ": the model retrained at " + history.names[at] +
                        " cannot be scored on " + history.names[i] + ": " + s.main_error);
        }
        preds = std::move(s.main);
        if (config.task == Task::kMulticlass) k = s.outputs;
      }
      PartitionScore score;
      score.index = p;
      score.rows = history.tables[i].rows();
      score.metric = PartitionMetric(config, metric, k, preds, history, i);
      score.trained_at = r.at;
      score.retrained = p == r.at;
      c.scores.push_back(score);
    }
    if (!previous_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(previous_dir, ec);
    }
    previous = std::move(state);
    previous_model = std::move(model);
    previous_dir = dir;
  }
  c.updates = c.retrains;
  c.mean_metric = MeanMetric(c.scores);
  return c;
}

}  // namespace
}  // namespace backtest

std::vector<std::string> BacktestPartitions(const Config& config) {
  return DiscoverPartitions(config.data.landing, config.data.pattern);
}

BacktestResult RunBacktest(const Config& config, const std::vector<std::string>& partitions,
                           const BacktestOptions& options, const BacktestHooks& hooks) {
  using namespace backtest;
  const int window = config.data.train_window;
  FRESHET_CHECK(!options.cadences.empty(), "no cadence to backtest");
  FRESHET_CHECK(static_cast<int64_t>(partitions.size()) >= window + 1,
                "the backtest needs at least data.window.train + 1 partitions");
  FRESHET_CHECK(hooks.train && hooks.score, "BacktestHooks::train and ::score are required");
  BacktestResult result;
  result.model = config.model;
  result.task = TaskName(config.task);
  result.metric = ResolvedPrimaryMetric(config.evaluation, config.task);
  result.higher_is_better = HigherIsBetter(result.metric);
  result.landing = config.data.landing;
  result.pattern = config.data.pattern;
  result.window = window;
  result.first_scored = window;
  result.device = options.device.str();

  const History history = ReadHistory(config, partitions);
  result.partitions = history.names;
  for (const Table& t : history.tables) result.partition_rows.push_back(t.rows());
  spdlog::info("backtest {}: {} partitions, window {}, scored {} .. {}, {} {}", config.model,
               partitions.size(), window, history.names[static_cast<size_t>(window)],
               history.names.back(), result.metric,
               result.higher_is_better ? "(higher is better)" : "(lower is better)");
  const TempFolder temp(options.temp_parent);
  for (const int k : options.cadences) {
    result.cadences.push_back(
        ReplayCadence(config, history, k, result.metric, options, hooks, temp.path()));
  }
  if (options.online) {
    result.cadences.push_back(ReplayOnline(config, history, window, result.metric, options, hooks));
  }
  return result;
}

}  // namespace freshet
