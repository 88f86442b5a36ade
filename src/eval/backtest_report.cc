// The backtest's result as JSON and as a table for a terminal (include/freshet/backtest.hpp).
#include <algorithm>
#include <cmath>
#include <string>

#include "eval/backtest_internal.h"

namespace freshet {
namespace {

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

std::string Pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

nlohmann::json BacktestToJson(const BacktestResult& r) {
  nlohmann::json partitions = nlohmann::json::array();
  for (size_t i = 0; i < r.partitions.size(); ++i) {
    partitions.push_back({{"name", r.partitions[i]}, {"rows", r.partition_rows[i]}});
  }
  nlohmann::json cadences = nlohmann::json::array();
  for (const CadenceResult& c : r.cadences) {
    nlohmann::json scores = nlohmann::json::array();
    for (const PartitionScore& s : c.scores) {
      scores.push_back(
          {{"partition", r.partitions[static_cast<size_t>(s.index)]},
           {"index", s.index},
           {"rows", s.rows},
           {"metric", Number(s.metric)},
           {"trained_at", s.trained_at < 0 ? nlohmann::json() : nlohmann::json(s.trained_at)},
           {"retrained", s.retrained}});
    }
    cadences.push_back({{"name", c.name},
                        {"cadence", c.cadence == 0 ? nlohmann::json() : nlohmann::json(c.cadence)},
                        {"learner", c.learner},
                        {"retrains", c.retrains},
                        {"updates", c.updates},
                        {"train_seconds", c.train_seconds},
                        {"train_rows", c.train_rows},
                        {"mean_metric", Number(c.mean_metric)},
                        {"scores", std::move(scores)}});
  }
  return {{"format", "freshet.backtest/1"},
          {"model", r.model},
          {"task", r.task},
          {"metric", r.metric},
          {"higher_is_better", r.higher_is_better},
          {"landing", r.landing},
          {"pattern", r.pattern},
          {"window", r.window},
          {"first_scored", r.first_scored},
          {"device", r.device},
          {"partitions", std::move(partitions)},
          {"cadences", std::move(cadences)}};
}

std::string BacktestTable(const BacktestResult& r) {
  using backtest::Fixed;
  std::string o = "backtest " + r.model + ": " + r.metric +
                  (r.higher_is_better ? " (higher is better)" : " (lower is better)") +
                  " per partition, training window " + std::to_string(r.window) +
                  " partitions, device " + r.device + "\n\n";
  size_t first = 9;
  for (const auto& p : r.partitions) first = std::max(first, p.size());
  const size_t col = 10;
  o += Pad("partition", first, false);
  for (const auto& c : r.cadences) o += Pad(c.name, col, true);
  o += "\n";
  const size_t scored = r.cadences.empty() ? 0 : r.cadences.front().scores.size();
  for (size_t i = 0; i < scored; ++i) {
    const int64_t index = r.cadences.front().scores[i].index;
    o += Pad(r.partitions[static_cast<size_t>(index)], first, false);
    for (const auto& c : r.cadences) {
      const PartitionScore& s = c.scores[i];
      o += Pad(Fixed(s.metric, 4) + (s.retrained ? "*" : " "), col, true);
    }
    o += "\n";
  }
  o += Pad("mean", first, false);
  for (const auto& c : r.cadences) o += Pad(Fixed(c.mean_metric, 4) + " ", col, true);
  o += "\n* the cadence retrained on the " + std::to_string(r.window) +
       " partitions before this one\n\n";
  o += Pad("cadence", first, false) + Pad("learner", 9, true) + Pad("retrains", 10, true) +
       Pad("updates", 10, true) + Pad("train s", 10, true) + Pad("train rows", 14, true) +
       Pad("mean", 10, true) + "\n";
  for (const auto& c : r.cadences) {
    o += Pad(c.name, first, false) + Pad(c.learner, 9, true) +
         Pad(std::to_string(c.retrains), 10, true) + Pad(std::to_string(c.updates), 10, true) +
         Pad(Fixed(c.train_seconds, 2), 10, true) + Pad(std::to_string(c.train_rows), 14, true) +
         Pad(Fixed(c.mean_metric, 4), 10, true) + "\n";
  }
  // The retrain marks' column leaves spaces at line ends.
  std::string trimmed;
  for (const char ch : o) {
    if (ch == '\n') {
      while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
    }
    trimmed += ch;
  }
  return trimmed;
}

}  // namespace freshet
