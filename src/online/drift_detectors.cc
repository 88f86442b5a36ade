// ADWIN, PageHinkley and DDM as River 0.26.1 runs them (river.drift.ADWIN, river.drift.PageHinkley,
// river.drift.binary.DDM): the same updates in the same floating-point order, the same reset on
// the update after a detection. Their states are JSON objects of plain numbers:
//   {"detector": NAME, "params": {...}, "drift": bool, ...the detector's numbers...}
// A double is a JSON number (nlohmann writes the shortest text that reads back to the same bits)
// or, when not finite, the string "inf", "-inf" or "nan". Restore checks the name and that the
// saved params equal this detector's (a state is only meaningful under the parameters that made
// it); a mismatch or anything malformed throws ArtifactError.
#include "freshet/drift_detectors.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "freshet/error.hpp"
#include "online/adwin.h"

namespace freshet {
namespace {

using drift_internal::AdwinParams;
using drift_internal::AdwinRow;
using drift_internal::AdwinWindow;
using Json = nlohmann::json;

// --- the state's numbers -------------------------------------------------------------------------

Json Num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

[[noreturn]] void Bad(const std::string& name, const std::string& what) {
  throw ArtifactError("drift detector state (" + name + "): " + what);
}

const Json& Field(const Json& state, const std::string& name, const std::string& key) {
  const auto it = state.find(key);
  if (it == state.end()) Bad(name, "missing \"" + key + "\"");
  return *it;
}

double AsDouble(const Json& v, const std::string& name, const std::string& key) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  }
  Bad(name, key + ": expected a number or \"inf\", \"-inf\", \"nan\", got " + v.dump());
}

double Double(const Json& state, const std::string& name, const std::string& key) {
  return AsDouble(Field(state, name, key), name, key);
}

int64_t Int(const Json& state, const std::string& name, const std::string& key) {
  const Json& v = Field(state, name, key);
  if (!v.is_number_integer()) Bad(name, key + ": expected an integer, got " + v.dump());
  return v.get<int64_t>();
}

bool Bool(const Json& state, const std::string& name, const std::string& key) {
  const Json& v = Field(state, name, key);
  if (!v.is_boolean()) Bad(name, key + ": expected true or false, got " + v.dump());
  return v.get<bool>();
}

// Checks that `state` is an object saved by a detector named `name` with parameters `params`.
void CheckHeader(const Json& state, const std::string& name, const Json& params) {
  if (!state.is_object()) {
    Bad(name, std::string("expected a JSON object, got ") + state.type_name());
  }
  const Json& saved_by = Field(state, name, "detector");
  if (!saved_by.is_string() || saved_by.get_ref<const std::string&>() != name) {
    Bad(name, "saved by detector " + saved_by.dump() + ", restored into " + name);
  }
  const Json& saved = Field(state, name, "params");
  if (!saved.is_object()) Bad(name, "params: expected an object, got " + saved.dump());
  for (const auto& [key, want] : params.items()) {
    const auto it = saved.find(key);
    if (it == saved.end() || *it != want) {
      Bad(name, "params." + key + ": saved " + (it == saved.end() ? "nothing" : it->dump()) +
                    ", this detector has " + want.dump());
    }
  }
}

std::string Format(const char* fmt, double a, double b, double c) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c);
  return buf;
}

// --- ADWIN ---------------------------------------------------------------------------------------

class Adwin final : public DriftDetector {
 public:
  explicit Adwin(const AdwinParams& params) : params_(params) {}

  bool Update(double x) override {
    if (drift_) {
      window_ = AdwinWindow();
      drift_ = false;
    }
    drift_ = drift_internal::AdwinUpdate(params_, &window_, x);
    return drift_;
  }

  std::string Name() const override { return "ADWIN"; }

  Json Save() const override {
    Json rows = Json::array();
    for (const AdwinRow& r : window_.rows) {
      Json totals = Json::array(), variances = Json::array();
      for (double t : r.totals) totals.push_back(Num(t));
      for (double v : r.variances) variances.push_back(Num(v));
      rows.push_back({{"totals", std::move(totals)}, {"variances", std::move(variances)}});
    }
    return {{"detector", Name()},
            {"params", Params()},
            {"drift", drift_},
            {"total", Num(window_.total)},
            {"variance", Num(window_.variance)},
            {"width", Num(window_.width)},
            {"tick", window_.tick},
            {"rows", std::move(rows)}};
  }

  void Restore(const Json& state) override {
    const std::string name = Name();
    CheckHeader(state, name, Params());
    AdwinWindow w;
    w.total = Double(state, name, "total");
    w.variance = Double(state, name, "variance");
    w.width = Double(state, name, "width");
    w.tick = Int(state, name, "tick");
    const Json& rows = Field(state, name, "rows");
    if (!rows.is_array()) Bad(name, "rows: expected an array, got " + rows.dump());
    w.rows.clear();
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string where = "rows[" + std::to_string(i) + "]";
      if (!rows[i].is_object()) Bad(name, where + ": expected an object");
      AdwinRow r;
      for (const char* key : {"totals", "variances"}) {
        const auto values = rows[i].find(key);
        if (values == rows[i].end() || !values->is_array()) {
          Bad(name, where + "." + key + ": expected an array");
        }
        auto& out = std::string(key) == "totals" ? r.totals : r.variances;
        for (const Json& v : *values) out.push_back(AsDouble(v, name, where + "." + key));
      }
      w.rows.push_back(std::move(r));
    }
    const std::string wrong = drift_internal::AdwinCheck(params_, w);
    if (!wrong.empty()) Bad(name, wrong);
    const bool drift = Bool(state, name, "drift");
    window_ = std::move(w);
    drift_ = drift;
  }

  std::string Describe() const override {
    const double mean = window_.width > 0 ? window_.total / window_.width : 0.0;
    const double var = window_.width > 0 ? window_.variance / window_.width : 0.0;
    return Format("ADWIN: window %.0f values, mean %.6g, variance %.6g", window_.width, mean, var);
  }

 private:
  Json Params() const {
    return {{"delta", Num(params_.delta)},
            {"clock", params_.clock},
            {"max_buckets", params_.max_buckets},
            {"min_window_length", params_.min_window_length},
            {"grace_period", params_.grace_period}};
  }

  AdwinParams params_;
  AdwinWindow window_;
  bool drift_ = false;
};

// --- PageHinkley ---------------------------------------------------------------------------------

class PageHinkley final : public DriftDetector {
 public:
  explicit PageHinkley(const DetectorSpec& spec)
      : min_instances_(spec.min_instances),
        delta_(spec.delta),
        threshold_(spec.threshold),
        alpha_(spec.alpha),
        mode_(spec.mode),
        test_up_(spec.mode != "down"),
        test_down_(spec.mode != "up") {}

  bool Update(double x) override {
    if (drift_) Reset();
    n_ += 1.0;  // river.stats.Mean
    mean_ += (1.0 / n_) * (x - mean_);
    const double dev = x - mean_;
    sum_increase_ = alpha_ * sum_increase_ + dev - delta_;
    sum_decrease_ = alpha_ * sum_decrease_ + dev + delta_;
    if (sum_increase_ < min_increase_) min_increase_ = sum_increase_;
    if (sum_decrease_ > max_decrease_) max_decrease_ = sum_decrease_;
    if (n_ >= static_cast<double>(min_instances_)) {
      const bool up = sum_increase_ - min_increase_ > threshold_;
      const bool down = max_decrease_ - sum_decrease_ > threshold_;
      drift_ = (test_up_ && up) || (test_down_ && down);
    }
    return drift_;
  }

  std::string Name() const override { return "PageHinkley"; }

  Json Save() const override {
    return {{"detector", Name()},
            {"params", Params()},
            {"drift", drift_},
            {"n", Num(n_)},
            {"mean", Num(mean_)},
            {"sum_increase", Num(sum_increase_)},
            {"sum_decrease", Num(sum_decrease_)},
            {"min_increase", Num(min_increase_)},
            {"max_decrease", Num(max_decrease_)}};
  }

  void Restore(const Json& state) override {
    const std::string name = Name();
    CheckHeader(state, name, Params());
    const double n = Double(state, name, "n"), mean = Double(state, name, "mean");
    const double si = Double(state, name, "sum_increase"), sd = Double(state, name, "sum_decrease");
    const double mi = Double(state, name, "min_increase"), md = Double(state, name, "max_decrease");
    const bool drift = Bool(state, name, "drift");
    if (!(n >= 0)) Bad(name, "n: expected a count, got " + Num(n).dump());
    n_ = n;
    mean_ = mean;
    sum_increase_ = si;
    sum_decrease_ = sd;
    min_increase_ = mi;
    max_decrease_ = md;
    drift_ = drift;
  }

  std::string Describe() const override {
    return Format("PageHinkley: %.0f values, mean %.6g, statistic %.6g", n_, mean_,
                  std::fmax(sum_increase_ - min_increase_, max_decrease_ - sum_decrease_));
  }

 private:
  void Reset() {
    drift_ = false;
    n_ = mean_ = sum_increase_ = sum_decrease_ = 0.0;
    min_increase_ = std::numeric_limits<double>::infinity();
    max_decrease_ = -1.0;  // River's -1, not -inf
  }

  Json Params() const {
    return {{"min_instances", min_instances_},
            {"delta", Num(delta_)},
            {"threshold", Num(threshold_)},
            {"alpha", Num(alpha_)},
            {"mode", mode_}};
  }

  int64_t min_instances_;
  double delta_, threshold_, alpha_;
  std::string mode_;
  bool test_up_, test_down_;  // mode: up, down or both
  double n_ = 0.0, mean_ = 0.0, sum_increase_ = 0.0, sum_decrease_ = 0.0;
  double min_increase_ = std::numeric_limits<double>::infinity(), max_decrease_ = -1.0;
  bool drift_ = false;
};

// --- DDM -----------------------------------------------------------------------------------------

class Ddm final : public DriftDetector {
 public:
  explicit Ddm(const DetectorSpec& spec)
      : warm_start_(spec.warm_start),
        warning_threshold_(spec.warning_threshold),
        drift_threshold_(spec.drift_threshold) {}

  bool Update(double x) override {
    if (drift_) Reset();
    n_ += 1.0;
    p_ += (1.0 / n_) * (x - p_);
    const double s = std::sqrt(p_ * (1.0 - p_) / n_);
    if (n_ > static_cast<double>(warm_start_)) {
      if (p_ + s <= ps_min_) {
        p_min_ = p_;
        s_min_ = s;
        ps_min_ = p_min_ + s_min_;
      }
      warning_ = p_ + s > p_min_ + warning_threshold_ * s_min_;
      if (p_ + s > p_min_ + drift_threshold_ * s_min_) {
        drift_ = true;
        warning_ = false;
      }
    }
    return drift_;
  }

  bool warning() const override { return warning_; }
  std::string Name() const override { return "DDM"; }

  Json Save() const override {
    return {{"detector", Name()},   {"params", Params()},   {"drift", drift_},
            {"warning", warning_},  {"n", Num(n_)},         {"p", Num(p_)},
            {"p_min", Num(p_min_)}, {"s_min", Num(s_min_)}, {"ps_min", Num(ps_min_)}};
  }

  void Restore(const Json& state) override {
    const std::string name = Name();
    CheckHeader(state, name, Params());
    const double n = Double(state, name, "n"), p = Double(state, name, "p");
    const double p_min = Double(state, name, "p_min"), s_min = Double(state, name, "s_min");
    const double ps_min = Double(state, name, "ps_min");
    const bool drift = Bool(state, name, "drift"), warning = Bool(state, name, "warning");
    if (!(n >= 0)) Bad(name, "n: expected a count, got " + Num(n).dump());
    n_ = n;
    p_ = p;
    p_min_ = p_min;
    s_min_ = s_min;
    ps_min_ = ps_min;
    drift_ = drift;
    warning_ = warning;
  }

  std::string Describe() const override {
    return Format("DDM: %.0f values, error rate %.6g, minimum p+s %.6g", n_, p_, ps_min_) +
           (warning_ ? ", warning" : "");
  }

 private:
  void Reset() {
    drift_ = warning_ = false;
    n_ = p_ = 0.0;
    p_min_ = s_min_ = std::numeric_limits<double>::quiet_NaN();  // River's None: not yet set
    ps_min_ = std::numeric_limits<double>::infinity();
  }

  Json Params() const {
    return {{"warm_start", warm_start_},
            {"warning_threshold", Num(warning_threshold_)},
            {"drift_threshold", Num(drift_threshold_)}};
  }

  int64_t warm_start_;
  double warning_threshold_, drift_threshold_;
  double n_ = 0.0, p_ = 0.0;
  double p_min_ = std::numeric_limits<double>::quiet_NaN();
  double s_min_ = std::numeric_limits<double>::quiet_NaN();
  double ps_min_ = std::numeric_limits<double>::infinity();
  bool drift_ = false, warning_ = false;
};

}  // namespace

std::unique_ptr<DriftDetector> MakeDriftDetector(const DetectorSpec& spec) {
  const std::string where = "online.detectors (" + spec.kind + "): ";
  if (spec.kind == "adwin") {
    // River panics on these (a remainder by zero, an index past a bucket's end).
    if (spec.clock < 1) throw ConfigError(where + "clock must be at least 1");
    if (spec.max_buckets < 1) throw ConfigError(where + "max_buckets must be at least 1");
    AdwinParams p;
    p.delta = spec.delta;
    p.clock = spec.clock;
    p.max_buckets = spec.max_buckets;
    p.min_window_length = spec.min_window_length;
    p.grace_period = spec.grace_period;
    return std::make_unique<Adwin>(p);
  }
  if (spec.kind == "page_hinkley") {
    if (spec.mode != "up" && spec.mode != "down" && spec.mode != "both") {
      throw ConfigError(where + "mode must be up, down or both, got \"" + spec.mode + "\"");
    }
    return std::make_unique<PageHinkley>(spec);
  }
  if (spec.kind == "ddm") return std::make_unique<Ddm>(spec);
  throw ConfigError("online.detectors: unknown kind \"" + spec.kind +
                    "\" (expected adwin, page_hinkley or ddm)");
}

}  // namespace freshet
