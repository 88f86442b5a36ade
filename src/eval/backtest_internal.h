// The backtest's internals (include/freshet/backtest.hpp), shared by its files: backtest_run.cc
// (the partitions and the retraining cadences), backtest_online.cc (the online learner's replay),
// backtest_report.cc (JSON and the terminal table) and backtest_html.cc (the HTML page).
// Private to src/eval/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "freshet/backtest.hpp"
#include "freshet/config.hpp"
#include "freshet/metrics.hpp"
#include "freshet/table.hpp"

namespace freshet::backtest {

// Every partition of the replay, read once: its rows (config.Columns()), and its labels and row
// weights as the metrics take them (EvalLabels, EvalWeights).
struct History {
  std::vector<std::string> names;
  std::vector<Table> tables;
  std::vector<std::vector<float>> labels, weights;
};

// The primary metric of `preds` (rows * outputs values, as the trainer writes them) on partition
// `p` of `history`, with the evaluation's threshold and calibration bins; NaN when it has none.
double PartitionMetric(const Config& config, const std::string& metric, int64_t num_classes,
                       const std::vector<float>& preds, const History& history, size_t p);

// The mean of the finite values of `scores`' metrics; NaN when there are none.
double MeanMetric(const std::vector<PartitionScore>& scores);

// The online learner's prequential replay of every partition of `history`, scored on
// [first_scored, N) (backtest.hpp's semantics).
CadenceResult ReplayOnline(const Config& config, const History& history, int64_t first_scored,
                           const std::string& metric, const BacktestOptions& options,
                           const BacktestHooks& hooks);

// A number as the table and the page print it: `decimals` digits after the point, "-" for NaN.
std::string Fixed(double v, int decimals);

}  // namespace freshet::backtest
