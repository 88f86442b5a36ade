// Delayed labels (online_spec.hpp LabelJoin): records predicted without their label, held by key
// in arrival order until the label arrives, expire, or are pushed out by the memory bound.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace freshet::online {

struct HeldRow {
  std::string key;
  int64_t record = 0;        // the record's index in the stream (StreamPosition::records)
  std::vector<float> dense;  // its transformed features
  std::vector<int64_t> cats;
  std::vector<double> scores;    // the learner's prediction when it arrived
  std::vector<double> champion;  // the champion's, when one was scored
};

class PendingLabels {
 public:
  PendingLabels(int64_t window_records, int64_t max_pending)
      : window_(window_records), max_pending_(max_pending) {}
  // Holds `row`; an earlier row with the same key expires. Returns the rows that expired.
  int64_t Hold(HeldRow row);
  // The held row of `key`, removed; nothing when none is held.
  std::optional<HeldRow> Take(const std::string& key);
  // Expires the rows that arrived `window_records` or more records before `record`.
  int64_t ExpireBefore(int64_t record);
  int64_t size() const { return static_cast<int64_t>(rows_.size()); }
  // Exact state: the held rows in arrival order (floats and doubles round-trip through JSON).
  nlohmann::json Save() const;
  void Restore(const nlohmann::json& state);

 private:
  int64_t window_, max_pending_;
  std::list<HeldRow> rows_;
  std::unordered_map<std::string, std::list<HeldRow>::iterator> by_key_;
};

}  // namespace freshet::online
