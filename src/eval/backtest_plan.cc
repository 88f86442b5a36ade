// The pure parts of the backtest: the --cadence list and each cadence's schedule.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "freshet/backtest.hpp"
#include "freshet/error.hpp"

namespace freshet {

std::vector<int> ParseCadences(const std::string& text) {
  const std::string usage = "expected a comma-separated list of distinct positive integers";
  if (text.find_first_not_of(" \t") == std::string::npos) {
    throw ConfigError("--cadence: " + usage + ", got an empty list");
  }
  std::vector<int> out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    const bool digits =
        !item.empty() && item.size() <= 9 &&
        std::all_of(item.begin(), item.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    const int k = digits ? std::stoi(item) : 0;
    if (k <= 0) {
      throw ConfigError("--cadence: " + usage + ", got \"" + item + "\" in \"" + text + "\"");
    }
    if (std::find(out.begin(), out.end(), k) != out.end()) {
      throw ConfigError("--cadence: " + std::to_string(k) + " is listed twice in \"" + text + "\"");
    }
    out.push_back(k);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<Retrain> PlanCadence(int64_t partitions, int window, int cadence) {
  FRESHET_CHECK(window >= 1 && cadence >= 1, "window and cadence must be positive");
  FRESHET_CHECK(partitions >= window + 1, "the backtest needs at least window + 1 partitions");
  std::vector<Retrain> plan;
  for (int64_t at = window; at < partitions; at += cadence) {
    Retrain r;
    r.at = at;
    r.train_begin = at - window;
    r.train_end = at;
    r.score_begin = at;
    r.score_end = std::min<int64_t>(at + cadence, partitions);
    plan.push_back(r);
  }
  return plan;
}

}  // namespace freshet
