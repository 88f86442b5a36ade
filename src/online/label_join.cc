// Delayed labels held by key (label_join.h).
#include "online/label_join.h"

#include <cmath>
#include <utility>

namespace freshet::online {
namespace {

// Doubles through JSON: finite ones exactly (17 digits), the others as strings.
nlohmann::json Number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
double FromNumber(const nlohmann::json& j) {
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    return NAN;
  }
  return j.get<double>();
}

}  // namespace

int64_t PendingLabels::Hold(HeldRow row) {
  int64_t expired = 0;
  if (auto it = by_key_.find(row.key); it != by_key_.end()) {
    rows_.erase(it->second);
    by_key_.erase(it);
    ++expired;
  }
  rows_.push_back(std::move(row));
  by_key_[rows_.back().key] = std::prev(rows_.end());
  while (static_cast<int64_t>(rows_.size()) > max_pending_) {
    by_key_.erase(rows_.front().key);
    rows_.pop_front();
    ++expired;
  }
  return expired;
}

std::optional<HeldRow> PendingLabels::Take(const std::string& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  HeldRow row = std::move(*it->second);
  rows_.erase(it->second);
  by_key_.erase(it);
  return row;
}

int64_t PendingLabels::ExpireBefore(int64_t record) {
  int64_t expired = 0;
  while (!rows_.empty() && record - rows_.front().record >= window_) {
    by_key_.erase(rows_.front().key);
    rows_.pop_front();
    ++expired;
  }
  return expired;
}

nlohmann::json PendingLabels::Save() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : rows_) {
    nlohmann::json scores = nlohmann::json::array(), champion = nlohmann::json::array();
    nlohmann::json dense = nlohmann::json::array();
    for (float v : r.dense) dense.push_back(Number(v));
    for (double v : r.scores) scores.push_back(Number(v));
    for (double v : r.champion) champion.push_back(Number(v));
    rows.push_back({{"key", r.key},
                    {"record", r.record},
                    {"dense", dense},
                    {"cats", r.cats},
                    {"scores", scores},
                    {"champion", champion}});
  }
  return rows;
}

void PendingLabels::Restore(const nlohmann::json& state) {
  rows_.clear();
  by_key_.clear();
  for (const auto& j : state) {
    HeldRow r;
    r.key = j.at("key").get<std::string>();
    r.record = j.at("record").get<int64_t>();
    for (const auto& v : j.at("dense")) r.dense.push_back(static_cast<float>(FromNumber(v)));
    r.cats = j.at("cats").get<std::vector<int64_t>>();
    for (const auto& v : j.at("scores")) r.scores.push_back(FromNumber(v));
    for (const auto& v : j.at("champion")) r.champion.push_back(FromNumber(v));
    rows_.push_back(std::move(r));
    by_key_[rows_.back().key] = std::prev(rows_.end());
  }
}

}  // namespace freshet::online
