// The data gate's drift checks: every statistic for every column against the reference profile,
// and the decision by Evidently's rules (or the config's).
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "freshet/data_gate.hpp"
#include "freshet/drift_stats.hpp"

namespace freshet {
namespace {

using nlohmann::json;

bool IsTest(const std::string& method) {
  return method == "ks" || method == "chisquare" || method == "z";
}

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string Fmt(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

// Whether `value` crosses `threshold` for `method` (tests: small p-values; distances: large).
bool Crosses(const std::string& method, double value, double threshold) {
  if (std::isnan(threshold)) return false;
  if (method == "ks") return value <= threshold;
  if (IsTest(method)) return value < threshold;
  return value >= threshold;
}

struct Counts {
  std::vector<std::string> keys;
  std::vector<double> ref, cur;
  bool exact = true;
};

// Category counts of both sides over the union of their values (and an "other" bin when either
// side lumped values beyond its top K).
Counts CategoryCounts(const CategoricalProfile& r, const CategoricalProfile& c) {
  std::map<std::string, std::pair<double, double>> m;
  for (const auto& [v, n] : r.top) m[v].first += static_cast<double>(n);
  for (const auto& [v, n] : c.top) m[v].second += static_cast<double>(n);
  Counts out;
  for (const auto& [k, v] : m) {
    out.keys.push_back(k);
    out.ref.push_back(v.first);
    out.cur.push_back(v.second);
  }
  if (r.other > 0 || c.other > 0) {
    out.exact = false;
    out.keys.emplace_back("(other)");
    out.ref.push_back(static_cast<double>(r.other));
    out.cur.push_back(static_cast<double>(c.other));
  }
  return out;
}

// Value counts of a few-valued numeric column on both sides.
Counts ValueCounts(const NumericProfile& r, const NumericProfile& c) {
  std::map<double, std::pair<double, double>> m;
  for (const auto& [v, n] : r.distinct) m[v].first += static_cast<double>(n);
  for (const auto& [v, n] : c.distinct) m[v].second += static_cast<double>(n);
  Counts out;
  for (const auto& [k, v] : m) {
    out.keys.push_back(Fmt(k));
    out.ref.push_back(v.first);
    out.cur.push_back(v.second);
  }
  return out;
}

// Evidently's two-proportion z-test on two-valued counts: the share of the first key.
stats::TestResult ZTest(const Counts& k) {
  const double rn = k.ref[0] + (k.ref.size() > 1 ? k.ref[1] : 0.0);
  const double cn = k.cur[0] + (k.cur.size() > 1 ? k.cur[1] : 0.0);
  return stats::ProportionZTest(rn - k.ref[0], rn, cn - k.cur[0], cn);
}

// Why a chi-squared or z-test on these counts cannot decide, or "": Cochran's rule (every expected
// count at least 1, at most 20 % of them below 5) and, for two values, n p >= 5 and n (1 - p) >= 5
// on both sides at the pooled share. Evidently applies neither; on small samples its tests then
// raise alarms that mean nothing (a category unseen in the reference gives p = 0).
std::string TooFewToTest(const std::string& method, const Counts& k) {
  const double rn = std::accumulate(k.ref.begin(), k.ref.end(), 0.0);
  const double cn = std::accumulate(k.cur.begin(), k.cur.end(), 0.0);
  if (rn == 0 || cn == 0) return "no values on one side";
  if (method == "z") {
    if (k.keys.size() != 2) return "";
    const double p = (k.ref[0] + k.cur[0]) / (rn + cn);
    const double least = std::min({rn * p, rn * (1 - p), cn * p, cn * (1 - p)});
    if (least < 5) {
      return "the z-test needs n p >= 5 and n (1 - p) >= 5 on both sides, got " + Fmt(least);
    }
    return "";
  }
  int below5 = 0;
  for (size_t i = 0; i < k.ref.size(); ++i) {
    const double e = k.ref[i] * cn / rn;
    if (e < 1) {
      return "chi-squared needs every expected count >= 1 (Cochran), \"" + k.keys[i] +
             "\" expects " + Fmt(e);
    }
    below5 += e < 5;
  }
  if (5 * below5 > static_cast<int>(k.ref.size())) {
    return "chi-squared needs at most 20% of expected counts below 5 (Cochran), got " +
           std::to_string(below5) + " of " + std::to_string(k.ref.size());
  }
  return "";
}

json TestJson(const stats::TestResult& t) {
  return {{"statistic", Num(t.statistic)}, {"p_value", Num(t.p_value)}, {"dof", t.dof}};
}

}  // namespace

void DataGate::CheckDrift(const Profile& fresh) {
  const Profile& ref = *reference_.profile;
  const ValidateConfig& v = config_.validate;
  json columns = json::object();
  int drifted = 0, decided = 0;
  std::vector<std::string> drifted_names;
  for (const auto& c : fresh.columns) {
    const ColumnProfile* rc = ref.Find(c.name);
    if (!rc || rc->kind != c.kind) continue;
    const bool is_label = c.name == config_.data.label;
    DriftRule rule = v.drift;
    if (auto it = v.columns.find(c.name); it != v.columns.end() && it->second.has_drift) {
      rule = it->second.drift;
    }
    json j = {{"kind", c.kind == ColumnKind::kNumeric ? "numeric" : "categorical"}};
    // An identifier (most values distinct: user ids, order numbers) has no distribution to drift.
    if (c.kind == ColumnKind::kCategorical && rc->categorical.count >= v.min_drift_rows &&
        2 * rc->categorical.distinct > rc->categorical.count) {
      j["status"] = "identifier";
      j["note"] = "not decided: " + std::to_string(rc->categorical.distinct) + " distinct of " +
                  std::to_string(rc->categorical.count) +
                  " reference values, an identifier rather than a category";
      columns[c.name] = j;
      continue;
    }
    json st = json::object();
    int64_t ref_n = 0, cur_n = 0;
    std::string method = rule.method;
    double value = NAN;
    std::string basis;
    std::string undecided;  // why the method's test cannot decide on these counts
    if (c.kind == ColumnKind::kNumeric) {
      const NumericProfile& r = rc->numeric;
      const NumericProfile& k = c.numeric;
      ref_n = r.count;
      cur_n = k.count;
      const bool few_known = !r.many && !k.many;
      Counts vc;
      if (few_known) vc = ValueCounts(r, k);
      const size_t n_values = few_known ? vc.keys.size() : kDistinctCap + 1;
      if (ref_n > 0 && cur_n > 0) {
        const bool exact_sample = static_cast<int64_t>(r.sample.size()) == r.count &&
                                  static_cast<int64_t>(k.sample.size()) == k.count;
        const std::string sample_basis = exact_sample ? "exact" : "sample";
        if (!r.hist.empty() && r.hist.size() == k.hist.size()) {
          const std::vector<double> rh(r.hist.begin(), r.hist.end());
          const std::vector<double> kh(k.hist.begin(), k.hist.end());
          st["psi"] = {
              {"value", Num(stats::Psi(rh, kh))}, {"basis", "binned"}, {"bins", r.hist.size()}};
          st["jensenshannon"] = {{"value", Num(stats::JensenShannon(rh, kh))}, {"basis", "binned"}};
        }
        const stats::TestResult ks = stats::KsTwoSample(r.sample, k.sample);
        st["ks"] = {{"statistic", ks.statistic},
                    {"p_value", ks.p_value},
                    {"basis", sample_basis},
                    {"distribution", ks.exact ? "exact" : "asymptotic"},
                    {"sizes", {r.sample.size(), k.sample.size()}}};
        const double w = stats::Wasserstein(r.sample, k.sample);
        const double norm = std::max(r.std, 0.001);
        st["wasserstein"] = {
            {"value", w}, {"normed", w / norm}, {"reference_std", r.std}, {"basis", sample_basis}};
        if (few_known) {
          st["value_counts"] = {{"values", vc.keys}, {"reference", vc.ref}, {"current", vc.cur}};
          st["chisquare"] = TestJson(stats::ChiSquareGoodnessOfFit(vc.cur, vc.ref));
          st["chi2_contingency"] = TestJson(stats::ChiSquaredContingency(vc.ref, vc.cur));
          st["jensenshannon_values"] = stats::JensenShannon(vc.ref, vc.cur);
          if (vc.keys.size() == 2) st["z"] = TestJson(ZTest(vc));
        }
        if (method == "auto") {
          if (ref_n <= 1000) {
            method = n_values <= 5 ? (n_values > 2 ? "chisquare" : "z") : "ks";
          } else {
            method = n_values <= 5 ? "jensenshannon" : "wasserstein";
          }
        }
        if (method == "ks") {
          value = ks.p_value;
          basis = sample_basis;
        } else if (method == "wasserstein") {
          value = w / norm;
          basis = sample_basis;
        } else if (method == "jensenshannon" && few_known && n_values <= 5) {
          value = st["jensenshannon_values"].get<double>();
          basis = "value counts";
        } else if ((method == "chisquare" || method == "z") && few_known) {
          undecided = TooFewToTest(vc.keys.size() == 2 ? method : "chisquare", vc);
          if (method == "z" && vc.keys.size() == 1) {
            undecided.clear();
            value = 1.0;
          } else if (method == "z" && vc.keys.size() == 2) {
            value = st["z"]["p_value"].is_null() ? NAN : st["z"]["p_value"].get<double>();
          } else {
            value = st["chisquare"]["p_value"].is_null() ? NAN
                                                         : st["chisquare"]["p_value"].get<double>();
            method = "chisquare";
          }
          basis = "value counts";
        } else if (st.contains(method == "psi" ? "psi" : "jensenshannon")) {
          value = st[method == "psi" ? "psi" : "jensenshannon"]["value"].get<double>();
          basis = "binned";
        } else {
          value = ks.p_value;
          method = "ks";
          basis = sample_basis;
        }
      }
    } else {
      const CategoricalProfile& r = rc->categorical;
      const CategoricalProfile& k = c.categorical;
      ref_n = r.count;
      cur_n = k.count;
      if (ref_n > 0 && cur_n > 0) {
        const Counts cc = CategoryCounts(r, k);
        const std::string counts_basis = cc.exact ? "exact" : "top-k";
        st["chi2_contingency"] = TestJson(stats::ChiSquaredContingency(cc.ref, cc.cur));
        st["chisquare"] = TestJson(stats::ChiSquareGoodnessOfFit(cc.cur, cc.ref));
        st["jensenshannon"] = {{"value", stats::JensenShannon(cc.ref, cc.cur)},
                               {"basis", counts_basis}};
        st["linf"] = {{"value", stats::LInfinity(cc.ref, cc.cur)}, {"basis", counts_basis}};
        st["psi"] = {{"value", Num(stats::Psi(cc.ref, cc.cur))}, {"basis", counts_basis}};
        if (cc.keys.size() == 2) st["z"] = TestJson(ZTest(cc));
        st["categories"] = cc.keys.size();
        const size_t n_values = cc.keys.size();
        if (method == "auto") {
          method = ref_n <= 1000 ? (n_values > 2 ? "chisquare" : "z") : "jensenshannon";
        }
        basis = counts_basis;
        if (method == "z" || method == "chisquare") {
          undecided = TooFewToTest(method == "z" && n_values == 2 ? "z" : "chisquare", cc);
        }
        if (method == "z" && n_values == 1) {
          undecided.clear();
          value = 1.0;
        } else if (method == "z" && n_values == 2) {
          value = st["z"]["p_value"].is_null() ? NAN : st["z"]["p_value"].get<double>();
        } else if (method == "chisquare" || method == "z" || method == "ks") {
          method = "chisquare";
          value =
              st["chisquare"]["p_value"].is_null() ? NAN : st["chisquare"]["p_value"].get<double>();
        } else if (method == "psi") {
          value = st["psi"]["value"].is_null() ? NAN : st["psi"]["value"].get<double>();
        } else {
          method = "jensenshannon";
          value = st["jensenshannon"]["value"].get<double>();
        }
      }
    }
    const double warn = std::isnan(rule.warn) ? (IsTest(method) ? 0.05 : 0.1) : rule.warn;
    const double fail = rule.fail;
    j["reference_rows"] = ref_n;
    j["current_rows"] = cur_n;
    j["stats"] = st;
    j["method"] = method;
    j["basis"] = basis;
    j["value"] = Num(value);
    j["warn"] = warn;
    j["fail"] = Num(fail);
    if (ref_n < v.min_drift_rows || cur_n < v.min_drift_rows || std::isnan(value) ||
        !undecided.empty()) {
      j["status"] = "insufficient_rows";
      j["note"] = !undecided.empty()
                      ? "not decided: " + undecided
                      : "not decided: " + std::to_string(ref_n) + " reference and " +
                            std::to_string(cur_n) + " current values, at least " +
                            std::to_string(v.min_drift_rows) + " needed on each side";
      columns[c.name] = j;
      continue;
    }
    const bool is_drift = Crosses(method, value, warn);
    const bool is_fail = Crosses(method, value, fail);
    j["status"] = is_drift || is_fail ? "drift" : "ok";
    if (!is_label) {
      ++decided;
      if (is_drift || is_fail) {
        ++drifted;
        drifted_names.push_back(c.name);
      }
    }
    if (is_drift || is_fail) {
      const double thr = is_fail ? fail : warn;
      const std::string op = method == "ks" ? "<=" : IsTest(method) ? "<" : ">=";
      Add({is_label ? "LABEL_DRIFT" : "FEATURE_DRIFT", is_fail ? Severity::kFail : Severity::kWarn,
           c.name, "",
           (is_label ? "label \"" : "column \"") + c.name + "\" drifted against " +
               reference_.name + ": " + method + (IsTest(method) ? " p-value " : " ") + Fmt(value) +
               " " + op + " " + Fmt(thr),
           value, thr});
    }
    columns[c.name] = j;
  }
  const double share = decided > 0 ? static_cast<double>(drifted) / decided : 0.0;
  drift_ = {{"reference", reference_.name},
            {"columns", columns},
            {"drifted_columns", drifted},
            {"decided_columns", decided},
            {"drifted", drifted_names},
            {"share", share},
            {"share_warn", Num(v.drift_share_warn)},
            {"share_fail", Num(v.drift_share_fail)}};
  const bool share_fail =
      !std::isnan(v.drift_share_fail) && decided > 0 && share >= v.drift_share_fail;
  const bool share_warn =
      !std::isnan(v.drift_share_warn) && decided > 0 && share >= v.drift_share_warn;
  drift_["dataset_drift"] = share_fail || share_warn;
  if (share_fail || share_warn) {
    const double thr = share_fail ? v.drift_share_fail : v.drift_share_warn;
    Add({"DATASET_DRIFT", share_fail ? Severity::kFail : Severity::kWarn, "", "",
         std::to_string(drifted) + " of " + std::to_string(decided) + " columns drifted against " +
             reference_.name + " (share " + Fmt(share) + " >= " + Fmt(thr) + ")",
         share, thr});
  }
}

}  // namespace freshet
