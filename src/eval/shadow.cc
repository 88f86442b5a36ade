// CompareShadow: a challenger against the champion on logged live rows.
#include "freshet/shadow.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "eval/metrics_internal.h"
#include "freshet/drift_stats.hpp"
#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/metrics.hpp"

namespace freshet {
namespace {

using Json = nlohmann::json;
using metrics_internal::Num;

bool RowFinite(const ModelScores& m, size_t i) {
  for (int64_t k = 0; k < m.outputs; ++k) {
    if (!std::isfinite(m.preds[i * static_cast<size_t>(m.outputs) + static_cast<size_t>(k)])) {
      return false;
    }
  }
  return true;
}

// The decision of row i: binary 1 iff p >= threshold; multiclass the most probable class.
int64_t Decision(const ModelScores& m, Task task, size_t i, double threshold) {
  const float* row = m.preds.data() + i * static_cast<size_t>(m.outputs);
  if (task == Task::kMulticlass) return metrics_internal::ArgMax(row, m.outputs);
  return row[0] >= threshold ? 1 : 0;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = static_cast<double>(v.size() - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

struct Check {
  std::string name;
  double value, threshold;
  bool passed;
  std::string reason;
};

}  // namespace

ShadowOutcome CompareShadow(const Config& config, int64_t num_classes, const EvalRows& rows,
                            const ModelScores& challenger, const ModelScores& champion,
                            bool labelled) {
  const Task task = config.task;
  const double threshold = config.evaluation.threshold;
  const ShadowPolicy& policy = config.gate.shadow;
  const size_t n = static_cast<size_t>(rows.rows().rows());
  FRESHET_CHECK(challenger.preds.size() == n * static_cast<size_t>(challenger.outputs) &&
                    champion.preds.size() == n * static_cast<size_t>(champion.outputs),
                "shadow scores of the wrong size");

  int64_t bad_challenger = 0, bad_champion = 0, both = 0, agree = 0, to_pos = 0, to_neg = 0;
  std::vector<double> s_champion, s_challenger;
  std::vector<double> hist_champion(task == Task::kMulticlass ? static_cast<size_t>(num_classes)
                                                              : 0),
      hist_challenger(hist_champion.size());
  double abs_diff = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool fc = RowFinite(challenger, i), fh = RowFinite(champion, i);
    bad_challenger += !fc;
    bad_champion += !fh;
    if (!fc || !fh) continue;
    ++both;
    if (task == Task::kMulticlass) {
      const int64_t a = Decision(challenger, task, i, threshold);
      const int64_t b = Decision(champion, task, i, threshold);
      agree += a == b;
      if (static_cast<size_t>(a) < hist_challenger.size())
        hist_challenger[static_cast<size_t>(a)] += 1;
      if (static_cast<size_t>(b) < hist_champion.size()) hist_champion[static_cast<size_t>(b)] += 1;
      continue;
    }
    const double a = challenger.preds[i], b = champion.preds[i];
    s_challenger.push_back(a);
    s_champion.push_back(b);
    abs_diff += std::fabs(a - b);
    if (task == Task::kBinary) {
      const int64_t da = Decision(challenger, task, i, threshold);
      const int64_t db = Decision(champion, task, i, threshold);
      agree += da == db;
      to_pos += da == 1 && db == 0;
      to_neg += da == 0 && db == 1;
    }
  }

  // The challenger's scores against the champion's: binned on the champion's deciles (binary,
  // regression) or counted by predicted class (multiclass).
  double psi = std::nan("");
  Json shift = Json::object();
  if (task == Task::kMulticlass) {
    if (both > 0) psi = stats::Psi(hist_champion, hist_challenger);
    shift = {{"psi", Num(psi)},
             {"basis", "predicted class"},
             {"champion_classes", hist_champion},
             {"challenger_classes", hist_challenger}};
  } else {
    std::vector<double> edges;
    for (int q = 1; q < 10; ++q) {
      const double e = Quantile(s_champion, q / 10.0);
      if (!std::isnan(e) && (edges.empty() || e > edges.back())) edges.push_back(e);
    }
    std::vector<double> hc(edges.size() + 1, 0), hh(edges.size() + 1, 0);
    for (double v : s_champion)
      hh[std::upper_bound(edges.begin(), edges.end(), v) - edges.begin()] += 1;
    for (double v : s_challenger)
      hc[std::upper_bound(edges.begin(), edges.end(), v) - edges.begin()] += 1;
    if (both > 0) psi = stats::Psi(hh, hc);
    double mc = 0, mh = 0;
    for (size_t i = 0; i < s_champion.size(); ++i) mc += s_challenger[i], mh += s_champion[i];
    const double cnt = static_cast<double>(std::max<int64_t>(both, 1));
    Json qc = Json::array(), qh = Json::array();
    for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
      qc.push_back(Num(Quantile(s_challenger, q)));
      qh.push_back(Num(Quantile(s_champion, q)));
    }
    shift = {{"psi", Num(psi)},
             {"basis", "champion deciles"},
             {"mean_challenger", Num(both ? mc / cnt : std::nan(""))},
             {"mean_champion", Num(both ? mh / cnt : std::nan(""))},
             {"mean_abs_difference", Num(both ? abs_diff / cnt : std::nan(""))},
             {"quantiles", {0.05, 0.25, 0.5, 0.75, 0.95}},
             {"challenger_quantiles", qc},
             {"champion_quantiles", qh}};
  }
  const bool decisions = task != Task::kRegression;
  const double agreement = decisions && both > 0 ? static_cast<double>(agree) / both : std::nan("");
  const double flip_rate = decisions && both > 0 ? 1.0 - agreement : std::nan("");

  Json summary = {
      {"format", kShadowFormat},
      {"challenger", challenger.version},
      {"champion", champion.version},
      {"rows", static_cast<int64_t>(n)},
      {"labelled", labelled},
      {"threshold", task == Task::kBinary ? Json(threshold) : Json()},
      {"nonfinite", {{"challenger", bad_challenger}, {"champion", bad_champion}}},
      {"agreement", Num(agreement)},
      {"flips", decisions ? Json{{"total", both - agree},
                                 {"rate", Num(flip_rate)},
                                 {"to_positive", task == Task::kBinary ? Json(to_pos) : Json()},
                                 {"to_negative", task == Task::kBinary ? Json(to_neg) : Json()}}
                          : Json()},
      {"score_shift", shift}};
  Json files = Json::array();
  for (const auto& f : rows.files) {
    files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"rows", f.rows}});
  }
  summary["inputs"] = files;

  std::vector<Check> checks;
  checks.push_back({"min_rows", static_cast<double>(n), static_cast<double>(policy.min_rows),
                    static_cast<int64_t>(n) >= policy.min_rows,
                    Format("%zu rows scored, %s %lld", n,
                           static_cast<int64_t>(n) >= policy.min_rows ? ">=" : "<",
                           static_cast<long long>(policy.min_rows))});
  checks.push_back({"finite_predictions", static_cast<double>(bad_challenger), 0,
                    bad_challenger == 0,
                    Format("%lld row(s) with a non-finite challenger prediction",
                           static_cast<long long>(bad_challenger))});
  if (policy.max_flip_rate >= 0 && decisions) {
    const bool ok = flip_rate <= policy.max_flip_rate;
    checks.push_back({"max_flip_rate", flip_rate, policy.max_flip_rate, ok,
                      Format("%.4f of decisions flip, %s %.4f", flip_rate, ok ? "<=" : ">",
                             policy.max_flip_rate)});
  }
  if (policy.max_score_psi >= 0) {
    const bool ok = psi <= policy.max_score_psi;
    checks.push_back({"max_score_psi", psi, policy.max_score_psi, ok,
                      Format("PSI of the challenger's scores against the champion's is %.4f, %s "
                             "%.4f",
                             psi, ok ? "<=" : ">", policy.max_score_psi)});
  }
  if (labelled) {
    // The metrics compare the two models on the rows both scored.
    // A view of the logged rows, or a copy of those both models scored and whose label has
    // arrived (fresh traffic's labels come late: rows without one are left out).
    EvalRows finite{rows.name, rows.files, {}, &rows.rows()};
    ModelScores a = challenger, b = champion;
    const Column* label = rows.rows().Find(config.data.label);
    int64_t unlabelled = 0;
    for (size_t i = 0; label != nullptr && i < n; ++i) {
      unlabelled += std::isnan(label->as_double(static_cast<int64_t>(i))) ? 1 : 0;
    }
    summary["unlabelled_rows"] = unlabelled;
    if (bad_challenger > 0 || bad_champion > 0 || unlabelled > 0) {
      std::vector<int64_t> keep;
      for (size_t i = 0; i < n; ++i) {
        if (RowFinite(challenger, i) && RowFinite(champion, i) &&
            (label == nullptr || !std::isnan(label->as_double(static_cast<int64_t>(i))))) {
          keep.push_back(static_cast<int64_t>(i));
        }
      }
      finite.table = rows.rows().Take(keep);
      finite.view = nullptr;
      const auto take = [&](const ModelScores& m) {
        ModelScores t = m;
        t.preds.clear();
        for (int64_t i : keep) {
          const auto at = m.preds.begin() + i * m.outputs;
          t.preds.insert(t.preds.end(), at, at + m.outputs);
        }
        return t;
      };
      a = take(challenger);
      b = take(champion);
    }
    summary["evaluated_rows"] = finite.rows().rows();
    {
      const Json set =
          EvaluateSet(WithLoggedColumns(config, finite.rows()), num_classes, finite, {a, b});
      summary["evaluation"] = set;
      const std::string& primary = config.evaluation.primary_metric;
      const Json& c = set["comparisons"]["champion"][primary];
      const bool upper = c.is_object() && c.contains("improvement_upper");
      const char* key = upper ? "improvement_upper" : "improvement";
      const double base = c.is_object() && c["other"].is_number()
                              ? std::fabs(c["other"].get<double>())
                              : std::nan("");
      const double imp = c.is_object() && c[key].is_number() && base > 0
                             ? c[key].get<double>() / base
                             : std::nan("");
      const bool ok = imp >= -policy.max_metric_drop;
      checks.push_back(
          {"max_metric_drop", imp, -policy.max_metric_drop, ok,
           Format("the %srelative improvement of %s over the champion on the logged rows is "
                  "%.2f%%, %s %.2f%%",
                  upper ? "upper bound of the " : "", primary.c_str(), imp * 100, ok ? ">=" : "<",
                  -policy.max_metric_drop * 100)});
    }
  }

  ShadowOutcome out;
  out.passed = true;
  Json cj = Json::array();
  for (const Check& c : checks) {
    cj.push_back({{"name", c.name},
                  {"value", Num(c.value)},
                  {"threshold", c.threshold},
                  {"passed", c.passed},
                  {"reason", c.reason}});
    if (!c.passed) {
      out.passed = false;
      out.reason +=
          (out.reason.empty() ? "" : "; ") + ("check '" + c.name + "' failed: " + c.reason);
    }
  }
  if (out.passed) out.reason = Format("%zu shadow check(s) passed", checks.size());
  summary["checks"] = cj;
  summary["passed"] = out.passed;
  summary["reason"] = out.reason;
  out.summary = std::move(summary);
  return out;
}

}  // namespace freshet
