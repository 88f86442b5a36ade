// Prequential (test-then-train) metrics of online_learner.hpp: a sliding window kept exactly in a
// ring buffer, exponentially faded sums (Gama et al. 2013) and totals.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/online_learner.hpp"

namespace freshet {
namespace {

constexpr char kFormat[] = "freshet.prequential/1";
constexpr double kEps = 1e-15;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool Positive(double label) { return label > 0.5; }

double BinaryLogLoss(double p, double label) {
  p = std::min(std::max(p, kEps), 1.0 - kEps);
  return Positive(label) ? -std::log(p) : -std::log(1.0 - p);
}

double BinaryCorrect(double p, double label) { return (p >= 0.5) == Positive(label) ? 1.0 : 0.0; }

int64_t Argmax(const double* scores, int64_t k) {
  int64_t best = 0;
  for (int64_t c = 1; c < k; ++c) {
    if (scores[c] > scores[best]) best = c;
  }
  return best;
}

// The class id of a multiclass label, -1 when it is not one of [0, k).
int64_t ClassOf(double label, int64_t k) {
  if (!(label >= 0.0 && label < static_cast<double>(k))) return -1;
  return static_cast<int64_t>(label);
}

double MulticlassLogLoss(const double* scores, int64_t k, double label) {
  const int64_t y = ClassOf(label, k);
  const double p = y < 0 ? 0.0 : scores[y];
  return -std::log(std::min(std::max(p, kEps), 1.0 - kEps));
}

// The two summed numbers of a ring slot (see the header's members).
std::pair<double, double> SlotStats(Task task, double x, double y) {
  switch (task) {
    case Task::kBinary:
      return {BinaryLogLoss(x, y), BinaryCorrect(x, y)};
    case Task::kRegression: {
      const double d = x - y;
      return {std::fabs(d), d * d};
    }
    case Task::kMulticlass:
      break;
  }
  return {x, y};
}

const char* TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
  }
  return "?";
}

// JSON has no inf or NaN: Save writes them as strings.
nlohmann::json Num(double v) {
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

double FromNum(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "nan") return kNaN;
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  throw ArtifactError("prequential metrics state: " + j.dump() + " is not a number");
}

nlohmann::json NumArray(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(Num(x));
  return a;
}

// A metric's JSON value: null when it has none.
nlohmann::json Value(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// The two metrics of a task from a count and the two sums.
std::pair<double, double> Means(Task task, double count, double a, double b) {
  if (!(count > 0)) return {kNaN, kNaN};
  if (task == Task::kRegression) return {a / count, std::sqrt(std::max(0.0, b / count))};
  return {a / count, b / count};
}

nlohmann::json MetricsJson(Task task, std::pair<double, double> m) {
  if (task == Task::kRegression) return {{"mae", Value(m.first)}, {"rmse", Value(m.second)}};
  return {{"log_loss", Value(m.first)}, {"accuracy", Value(m.second)}};
}

// Exact ROC AUC of (score, label) pairs, tied scores sharing their average rank (the
// Mann-Whitney U statistic); NaN with one class or a NaN score.
double ExactAuc(std::vector<std::pair<double, bool>> rows) {
  int64_t positives = 0;
  for (const auto& r : rows) {
    if (std::isnan(r.first)) return kNaN;
    positives += r.second;
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  const int64_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum = 0.0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    int64_t group_positives = 0;
    while (j < n && rows[j].first == rows[i].first) group_positives += rows[j++].second;
    rank_sum += group_positives * (static_cast<double>(i + 1 + j) / 2.0);  // ranks i+1 .. j
    i = j;
  }
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

}  // namespace

PrequentialMetrics::PrequentialMetrics(Task task, int64_t outputs, int64_t window, double alpha)
    : task_(task), outputs_(outputs), window_(std::max<int64_t>(window, 0)), alpha_(alpha) {
  FRESHET_CHECK(outputs >= 1, "PrequentialMetrics: outputs must be >= 1");
  ring_x_.assign(static_cast<size_t>(window_), 0.0);
  ring_y_.assign(static_cast<size_t>(window_), 0.0);
}

int64_t PrequentialMetrics::Slot(int64_t i) const {
  int64_t s = head_ - filled_ + i;
  return s < 0 ? s + window_ : s;
}

void PrequentialMetrics::Push(double x, double y) {
  const auto [a, b] = SlotStats(task_, x, y);
  faded_n_ = 1.0 + alpha_ * faded_n_;
  faded_a_ = a + alpha_ * faded_a_;
  faded_b_ = b + alpha_ * faded_b_;
  ++rows_;
  total_a_ += a;
  total_b_ += b;
  if (window_ == 0) return;
  bool resum = false;
  if (filled_ == window_) {
    const auto [old_a, old_b] = SlotStats(task_, ring_x_[head_], ring_y_[head_]);
    window_a_ -= old_a;
    window_b_ -= old_b;
    // An inf or NaN leaving the window cannot be subtracted out of the sums.
    resum = !std::isfinite(old_a) || !std::isfinite(old_b);
  } else {
    ++filled_;
  }
  ring_x_[head_] = x;
  ring_y_[head_] = y;
  head_ = head_ + 1 == window_ ? 0 : head_ + 1;
  window_a_ += a;
  window_b_ += b;
  if (++since_resum_ >= window_ || resum) Resum();
}

void PrequentialMetrics::Resum() {
  window_a_ = window_b_ = 0.0;
  for (int64_t i = 0; i < filled_; ++i) {
    const int64_t s = Slot(i);
    const auto [a, b] = SlotStats(task_, ring_x_[s], ring_y_[s]);
    window_a_ += a;
    window_b_ += b;
  }
  since_resum_ = 0;
}

void PrequentialMetrics::Add(const double* scores, const double* labels, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r) {
    const double* score = scores + r * outputs_;
    if (task_ == Task::kMulticlass) {
      Push(MulticlassLogLoss(score, outputs_, labels[r]), 1.0 - RowError(score, labels[r]));
    } else {
      Push(score[0], labels[r]);
    }
  }
}

int64_t PrequentialMetrics::rows() const { return rows_; }

nlohmann::json PrequentialMetrics::ToJson() const {
  nlohmann::json window =
      MetricsJson(task_, Means(task_, static_cast<double>(filled_), window_a_, window_b_));
  if (task_ == Task::kBinary) window["auc"] = Value(Window("auc"));
  return {
      {"window", std::move(window)},
      {"faded", MetricsJson(task_, Means(task_, faded_n_, faded_a_, faded_b_))},
      {"total", MetricsJson(task_, Means(task_, static_cast<double>(rows_), total_a_, total_b_))},
      {"rows", rows_}};
}

double PrequentialMetrics::Window(const std::string& metric) const {
  const bool regression = task_ == Task::kRegression;
  FRESHET_CHECK(metric == "log_loss" || metric == "accuracy" || metric == "auc" ||
                    metric == "mae" || metric == "rmse",
                "PrequentialMetrics::Window: unknown metric \"" + metric + "\"");
  if (metric == "auc") {
    if (task_ != Task::kBinary) return kNaN;
    std::vector<std::pair<double, bool>> rows(static_cast<size_t>(filled_));
    for (int64_t i = 0; i < filled_; ++i) {
      const int64_t s = Slot(i);
      rows[i] = {ring_x_[s], Positive(ring_y_[s])};
    }
    return ExactAuc(std::move(rows));
  }
  const auto m = Means(task_, static_cast<double>(filled_), window_a_, window_b_);
  if (regression) return metric == "mae" ? m.first : metric == "rmse" ? m.second : kNaN;
  return metric == "log_loss" ? m.first : metric == "accuracy" ? m.second : kNaN;
}

double PrequentialMetrics::RowError(const double* score, double label) const {
  switch (task_) {
    case Task::kBinary:
      return 1.0 - BinaryCorrect(score[0], label);
    case Task::kMulticlass:
      return Argmax(score, outputs_) == ClassOf(label, outputs_) ? 0.0 : 1.0;
    case Task::kRegression:
      break;
  }
  return std::fabs(score[0] - label);
}

double PrequentialMetrics::RowLoss(const double* score, double label) const {
  switch (task_) {
    case Task::kBinary:
      return BinaryLogLoss(score[0], label);
    case Task::kMulticlass:
      return MulticlassLogLoss(score, outputs_, label);
    case Task::kRegression:
      break;
  }
  const double d = score[0] - label;
  return d * d;
}

nlohmann::json PrequentialMetrics::Save() const {
  std::vector<double> xs(static_cast<size_t>(filled_)), ys(static_cast<size_t>(filled_));
  for (int64_t i = 0; i < filled_; ++i) {
    xs[i] = ring_x_[Slot(i)];
    ys[i] = ring_y_[Slot(i)];
  }
  return {{"format", kFormat},
          {"task", TaskName(task_)},
          {"outputs", outputs_},
          {"window", window_},
          {"alpha", Num(alpha_)},
          {"rows", rows_},
          {"ring_x", NumArray(xs)},
          {"ring_y", NumArray(ys)},
          {"since_resum", since_resum_},
          {"window_sums", NumArray({window_a_, window_b_})},
          {"faded", NumArray({faded_n_, faded_a_, faded_b_})},
          {"total", NumArray({total_a_, total_b_})}};
}

// A state saved with another window keeps its newest rows that fit; one saved with another alpha
// fades with this one's from now on.
void PrequentialMetrics::Restore(const nlohmann::json& state) {
  auto fail = [](const std::string& why) {
    throw ArtifactError("prequential metrics state: " + why);
  };
  try {
    if (!state.is_object() || state.value("format", "") != kFormat) {
      fail("not a \"" + std::string(kFormat) + "\" object");
    }
    if (state.at("task").get<std::string>() != TaskName(task_) ||
        state.at("outputs").get<int64_t>() != outputs_) {
      fail("saved for a " + state.at("task").get<std::string>() + " task with " +
           std::to_string(state.at("outputs").get<int64_t>()) + " output(s), not " +
           TaskName(task_) + " with " + std::to_string(outputs_));
    }
    const nlohmann::json& jx = state.at("ring_x");
    const nlohmann::json& jy = state.at("ring_y");
    const nlohmann::json& sums = state.at("window_sums");
    const nlohmann::json& faded = state.at("faded");
    const nlohmann::json& total = state.at("total");
    const int64_t saved_window = state.at("window").get<int64_t>();
    const int64_t saved_rows = state.at("rows").get<int64_t>();
    const int64_t since = state.at("since_resum").get<int64_t>();
    if (!jx.is_array() || !jy.is_array() || jx.size() != jy.size() ||
        static_cast<int64_t>(jx.size()) > std::min(saved_window, saved_rows) || saved_rows < 0 ||
        sums.size() != 2 || faded.size() != 3 || total.size() != 2) {
      fail("inconsistent sizes");
    }
    // Built aside, so that a failed Restore leaves this object as it was.
    PrequentialMetrics next(task_, outputs_, window_, alpha_);
    const int64_t n = static_cast<int64_t>(jx.size());
    const int64_t keep = std::min(n, window_);
    for (int64_t i = 0; i < keep; ++i) {
      next.ring_x_[i] = FromNum(jx[n - keep + i]);
      next.ring_y_[i] = FromNum(jy[n - keep + i]);
    }
    next.filled_ = keep;
    next.head_ = window_ == 0 ? 0 : keep % window_;
    next.rows_ = saved_rows;
    next.faded_n_ = FromNum(faded[0]);
    next.faded_a_ = FromNum(faded[1]);
    next.faded_b_ = FromNum(faded[2]);
    next.total_a_ = FromNum(total[0]);
    next.total_b_ = FromNum(total[1]);
    if (saved_window == window_) {
      next.window_a_ = FromNum(sums[0]);
      next.window_b_ = FromNum(sums[1]);
      next.since_resum_ = since;
    } else {
      next.Resum();
    }
    *this = std::move(next);
  } catch (const nlohmann::json::exception& e) {
    fail(e.what());
  }
}

}  // namespace freshet
