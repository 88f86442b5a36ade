// The backtest's replay of the online learner: every partition in order, in micro-batches,
// predicted before it is learnt from (include/freshet/backtest.hpp).
#include <algorithm>
#include <chrono>
#include <numeric>

#include <spdlog/spdlog.h>

#include "eval/backtest_internal.h"
#include "freshet/error.hpp"
#include "online/vocab_growth.h"

namespace freshet::backtest {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::unique_ptr<OnlineLearner> NewLearner(const Config& config, const FeatureState& state,
                                          const BacktestHooks& hooks) {
  if (config.online.learner == "model") {
    if (!hooks.make_model_learner) {
      throw ConfigError(config.path + ": online.learner: model needs LibTorch, which is absent");
    }
    return hooks.make_model_learner(state);
  }
  return MakeLinearLearner(config.online, config.task, state.dense_dim(), state.cardinalities());
}

}  // namespace

CadenceResult ReplayOnline(const Config& config, const History& history, int64_t first_scored,
                           const std::string& metric, const BacktestOptions& options,
                           const BacktestHooks& hooks) {
  CadenceResult c;
  c.name = "online";
  c.learner = config.online.learner;
  auto started = Clock::now();
  Table warmup = history.tables.front();
  for (int64_t i = 1; i < first_scored; ++i) warmup.Append(history.tables[static_cast<size_t>(i)]);
  FeatureState state = FitFeatures(warmup, config.features, nullptr, options.device);
  online::VocabGrowth growth(state);
  std::unique_ptr<OnlineLearner> learner = NewLearner(config, state, hooks);
  c.train_seconds += Since(started);
  const int64_t k = learner->outputs();
  const int64_t batch_rows = std::max<int64_t>(config.online.batch_rows, 1);
  std::vector<float> dense, preds;
  std::vector<int64_t> cats, rows;
  std::vector<double> scores, labels;
  for (size_t p = 0; p < history.tables.size(); ++p) {
    const Table& table = history.tables[p];
    const int64_t n = table.rows();
    preds.clear();
    for (int64_t begin = 0; begin < n; begin += batch_rows) {
      const int64_t m = std::min(batch_rows, n - begin);
      rows.resize(static_cast<size_t>(m));
      std::iota(rows.begin(), rows.end(), begin);
      const Table batch = table.Take(rows);
      started = Clock::now();
      if (growth.Grow(batch, &state)) learner->Grow(state.cardinalities());
      const int64_t dd = state.dense_dim(), cd = state.categorical_dim();
      dense.resize(static_cast<size_t>(m * dd));
      cats.resize(static_cast<size_t>(m * cd));
      TransformFeatures(batch, state, Device{}, dense.data(), cats.data(), nullptr);
      const FeatureRows features{m, dd, cd, dense.data(), cats.data()};
      double learn_seconds = Since(started);
      scores.resize(static_cast<size_t>(m * k));
      learner->Predict(features, scores.data());
      preds.insert(preds.end(), scores.begin(), scores.end());
      const std::vector<float>& y = history.labels[p];
      labels.assign(y.begin() + begin, y.begin() + begin + m);
      started = Clock::now();
      learner->Train(features, labels.data());
      learn_seconds += Since(started);
      c.train_seconds += learn_seconds;
      c.train_rows += m;
      ++c.updates;
    }
    if (static_cast<int64_t>(p) < first_scored) continue;
    PartitionScore score;
    score.index = static_cast<int64_t>(p);
    score.rows = n;
    score.metric = PartitionMetric(config, metric, k, preds, history, p);
    c.scores.push_back(score);
  }
  spdlog::info("backtest online ({}): {} rows learnt in {} micro-batches, {:.2f} s", c.learner,
               c.train_rows, c.updates, c.train_seconds);
  c.mean_metric = MeanMetric(c.scores);
  return c;
}

}  // namespace freshet::backtest
