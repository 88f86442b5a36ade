#include "eval/report_html.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "eval/svg_chart.h"
#include "freshet/eval_report.hpp"

namespace freshet {
namespace report {

using Json = nlohmann::json;

const char* const kRoles[3] = {"challenger", "champion", "fallback"};

namespace {

constexpr const char* kKnownOrder[] = {"auc",       "pr_auc", "log_loss", "brier", "accuracy",
                                       "precision", "recall", "f1",       "ece",   "macro_f1",
                                       "rmse",      "mae",    "r2"};
constexpr const char* kHigherIsBetter[] = {"auc",    "pr_auc", "accuracy", "precision",
                                           "recall", "f1",     "macro_f1", "r2"};

constexpr const char* kStyle = R"(
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--pass:#15803d;--fail:#b91c1c;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px;background:#fff;min-height:100vh}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}.meta,.note,figcaption,small{color:var(--muted)}.meta{margin:0 0 16px}
.banner{display:flex;gap:18px;align-items:center;padding:14px 18px;border-radius:8px;color:#fff}
.banner.pass{background:var(--pass)}.banner.fail{background:var(--fail)}.banner.notrun{background:#6b7280}
.decision{font-size:28px;font-weight:800;letter-spacing:1px}.banner p{margin:2px 0}
.chip{display:inline-block;margin:4px 6px 0 0;padding:1px 8px;border-radius:10px;background:rgba(255,255,255,.22);font-size:13px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}tbody tr:nth-child(even){background:#f9fafb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.num small,th small{display:block}th small{font-weight:400}td.name,td.dir{white-space:nowrap}
table.kv{width:auto;min-width:50%}.better{color:var(--pass)}.worse{color:var(--fail)}.sig{font-weight:700}
tr.regress,tr.failed{background:#fef2f2!important}tr.regress td:first-child,tr.failed td:first-child{box-shadow:inset 3px 0 var(--fail)}
.badge{display:inline-block;padding:0 7px;border-radius:9px;color:#fff;font-size:12px;font-weight:600}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.warn{background:var(--warn)}
.badge.none{background:#9ca3af}.primary{color:#0072B2;font-weight:700}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
figure{margin:0}.charts figure{max-width:480px}
@media (max-width:800px){table{display:block;overflow-x:auto}}
svg{width:100%;height:auto;display:block}svg text{font-family:inherit}
.note.warn{color:var(--warn)}code{font-size:12px}footer{margin-top:36px;font-size:12px;color:var(--muted)}
)";

std::string Grouped(long long v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string RoleHeader(const Json& set, const std::string& role) {
  const std::string version = Str(At(At(At(set, "models"), role), "version"));
  return "<th class=\"num\">" + role +
         (version.empty() ? "" : "<small>" + Escape(version) + "</small>") + "</th>";
}

// A cell with the difference and its interval: `c` is {delta, improvement, lower, upper}.
std::string DeltaCell(const Json& c, double improvement_sign) {
  if (!c.is_object()) return "<td class=\"num\">—</td>";
  double better = Value(At(c, "improvement"));
  if (!std::isfinite(better)) better = Value(At(c, "delta")) * improvement_sign;
  const double lo = Value(At(c, "lower")), hi = Value(At(c, "upper"));
  std::string cls = better > 0 ? "better" : better < 0 ? "worse" : "";
  if (lo > 0 || hi < 0) cls += " sig";
  return "<td class=\"num " + cls + "\">" + Num(At(c, "delta"), true) + "<small>[" +
         Num(At(c, "lower"), true) + ", " + Num(At(c, "upper"), true) + "]</small></td>";
}

std::string ModelErrors(const Json& set) {
  std::string o;
  for (const char* role : kRoles) {
    const Json& m = At(At(set, "models"), role);
    if (!At(m, "error").is_null()) {
      o += "<p class=\"note warn\">The " + std::string(role) + " " + Text(At(m, "version")) +
           " could not be scored: " + Text(At(m, "error")) + "</p>\n";
    }
  }
  return o;
}

std::string Banner(const Json& eval) {
  const Json& gate = At(eval, "gate");
  const std::string decision = Str(At(gate, "decision"));
  const std::string cls = decision == "pass" ? "pass" : decision == "fail" ? "fail" : "notrun";
  const std::string label = cls == "notrun" ? "NOT RUN" : cls == "pass" ? "PASS" : "FAIL";
  std::string chips;
  if (At(gate, "first_run") == true) chips += "<span class=\"chip\">first run</span>";
  if (!At(gate, "champion").is_null())
    chips += "<span class=\"chip\">champion: " + Text(At(gate, "champion")) + "</span>";
  if (At(gate, "promoted_to").is_array() && !At(gate, "promoted_to").empty())
    chips += "<span class=\"chip\">promoted to: " + Text(At(gate, "promoted_to")) + "</span>";
  if (!At(gate, "held_by").is_null())
    chips += "<span class=\"chip\">held by: " + Text(At(gate, "held_by")) + "</span>";
  const Json& forced = At(gate, "forced");
  if (!forced.is_null()) {
    chips += "<span class=\"chip\">forced" +
             (At(forced, "user").is_null() ? "" : " by " + Text(At(forced, "user"))) +
             (At(forced, "reason").is_null() ? "" : ": " + Text(At(forced, "reason"))) + "</span>";
  }
  const std::string reason =
      gate.is_object() ? Text(At(gate, "reason")) : "No gate decision was recorded.";
  return "<header class=\"banner " + cls + "\"><div class=\"decision\">" + label +
         "</div><div><p class=\"reason\">" + reason + "</p>" +
         (chips.empty() ? "" : "<p>" + chips + "</p>") + "</div></header>\n";
}

std::string GateRules(const Json& gate) {
  const Json& rules = At(gate, "rules");
  if (!rules.is_array() || rules.empty())
    return "<p class=\"note\">No gate rules were evaluated.</p>\n";
  std::string o =
      "<table><thead><tr><th>rule</th><th>metric</th><th>set</th><th>bound</th><th class=\"num\">"
      "value</th><th "
      "class=\"num\">threshold</th><th>result</th><th>reason</th></tr></thead><tbody>\n";
  for (const Json& r : rules) {
    const bool passed = At(r, "passed") == true;
    std::string kind = Text(At(r, "rule"));
    if (!At(r, "against").is_null()) kind += " vs " + Text(At(r, "against"));
    // A relative rule's value and threshold are fractions of the other model's value.
    const bool relative = At(r, "relative") == true;
    const auto number = [&](const Json& v) {
      return relative && v.is_number() ? Fixed(Value(v) * 100, 2, true) + "%" : Num(v);
    };
    std::string bound = Text(At(r, "bound"));
    if (relative) bound += ", relative";
    const bool skipped = At(r, "skipped") == true;
    const char* badge = skipped ? "none\">skipped" : passed ? "pass\">pass" : "fail\">fail";
    o += std::string(passed || skipped ? "<tr>" : "<tr class=\"failed\">") + "<td>" +
         Text(At(r, "name")) + "<small><br>" + kind + "</small></td><td>" + Text(At(r, "metric")) +
         "</td><td>" + Text(At(r, "set")) + "</td><td>" + bound + "</td><td class=\"num\">" +
         number(At(r, "value")) + "</td><td class=\"num\">" + number(At(r, "threshold")) +
         "</td><td><span class=\"badge " + badge + "</span></td><td>" + Text(At(r, "reason")) +
         "</td></tr>\n";
  }
  return o + "</tbody></table>\n";
}

// The line under the title: when, what task, how many rows, the label's statistics.
std::string Meta(const Json& eval) {
  std::vector<std::string> parts;
  const auto add = [&](const std::string& name, const Json& v) {
    if (!v.is_null()) parts.push_back(name + " <b>" + Text(v) + "</b>");
  };
  add("created", At(eval, "created"));
  add("task", At(eval, "task"));
  add("classes", At(eval, "num_classes"));
  add("rows", At(eval, "rows"));
  add("primary metric", At(eval, "primary_metric"));
  add("threshold", At(eval, "threshold"));
  add("weight column", At(eval, "weight_column"));
  const Json& label = At(eval, "label");
  add("positive rate", At(label, "positive_rate"));
  add("class counts", At(label, "class_counts"));
  if (!At(label, "mean").is_null())
    parts.push_back("label mean <b>" + Num(At(label, "mean")) + " ± " + Num(At(label, "stddev")) +
                    "</b>");
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : " · ") + p;
  return out;
}

std::string MetricsSection(const Json& eval, const Json& set, const std::string& primary) {
  std::string o = "<h2>Metrics";
  if (set.is_object())
    o += " — " + Text(At(set, "name")) + " set (" + Num(At(set, "rows")) + " rows)";
  o += "</h2>\n";
  Json only;  // no evaluation sets: the top-level metrics of the challenger alone
  const Json* shown = &set;
  if (!set.is_object()) {
    only["models"]["challenger"]["metrics"] = At(eval, "metrics");
    shown = &only;
  }
  o += ModelErrors(*shown);
  if (At(At(*shown, "models"), "champion").is_null())
    o += "<p class=\"note\">No champion to compare against" +
         std::string(At(At(eval, "gate"), "first_run") == true ? " (first run)." : ".") + "</p>\n";
  const Json& boot = At(At(eval, "evaluation"), "bootstrap");
  if (boot.is_object()) {
    o += "<p class=\"note\">Intervals: " + Text(At(boot, "method")) + " bootstrap, " +
         Text(At(boot, "resamples")) + " resamples, " +
         Fixed(Value(At(boot, "confidence")) * 100, 0) + "% confidence" + ", seed " +
         Text(At(boot, "seed")) +
         ". Bold: the interval excludes 0; green/red: better/worse for the challenger.</p>\n";
  }
  const std::string table = MetricsTable(*shown, "metrics", primary, true);
  o += table.empty() ? "<p class=\"note\">No metrics were recorded.</p>\n" : table;
  const std::string product = MetricsTable(*shown, "product_metrics", primary, false);
  if (!product.empty()) o += "<h3>Product metrics</h3>\n" + product;
  return o;
}

}  // namespace

const Json& At(const Json& j, const std::string& key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

double Value(const Json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// A number with 4 decimals (whole numbers grouped), "—" for anything else.
std::string Num(const Json& j, bool sign) {
  if (j.is_number_integer() && !sign) return Grouped(j.get<long long>());
  return Fixed(Value(j), 4, sign);
}

// Any scalar as escaped text; arrays of scalars joined; "—" for null, missing or objects.
std::string Text(const Json& j) {
  if (j.is_string()) return Escape(j.get<std::string>());
  if (j.is_boolean()) return j.get<bool>() ? "yes" : "no";
  if (j.is_number()) return Num(j);
  if (j.is_array() && !j.empty()) {
    std::string out;
    for (const Json& e : j) out += (out.empty() ? "" : ", ") + Text(e);
    return out;
  }
  return "—";
}

std::string Str(const Json& j) { return j.is_string() ? j.get<std::string>() : ""; }

bool HigherBetter(const std::string& metric) {
  return std::find(std::begin(kHigherIsBetter), std::end(kHigherIsBetter), metric) !=
         std::end(kHigherIsBetter);
}

// The metric names in the objects `key` of the set's models: primary first, then kKnownOrder,
// then the rest alphabetically (nlohmann::json objects iterate sorted).
std::vector<std::string> MetricNames(const Json& set, const std::string& key,
                                     const std::string& primary) {
  std::vector<std::string> found;
  for (const char* role : kRoles) {
    const Json& m = At(At(At(set, "models"), role), key);
    if (!m.is_object()) continue;
    for (const auto& item : m.items()) {
      if (std::find(found.begin(), found.end(), item.key()) == found.end())
        found.push_back(item.key());
    }
  }
  const auto rank = [&](const std::string& name) {
    if (name == primary) return -1;
    const auto it = std::find(std::begin(kKnownOrder), std::end(kKnownOrder), name);
    return static_cast<int>(it - std::begin(kKnownOrder));
  };
  std::stable_sort(found.begin(), found.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  return found;
}

std::vector<std::string> PresentRoles(const Json& set) {
  std::vector<std::string> roles;
  for (const char* role : kRoles) {
    if (At(At(set, "models"), role).is_object()) roles.emplace_back(role);
  }
  return roles;
}

// The metrics table of one evaluation set: `key` is "metrics" or "product_metrics".
std::string MetricsTable(const Json& set, const std::string& key, const std::string& primary,
                         bool directions) {
  const std::vector<std::string> names = MetricNames(set, key, primary);
  if (names.empty()) return "";
  const std::vector<std::string> roles = PresentRoles(set);
  std::vector<std::string> against;
  for (const char* other : {"champion", "fallback"}) {
    if (At(At(set, "comparisons"), other).is_object()) against.emplace_back(other);
  }
  std::string o = "<table><thead><tr><th>metric</th>";
  if (directions) o += "<th>direction</th>";
  for (const std::string& r : roles) o += RoleHeader(set, r);
  for (const std::string& a : against) o += "<th class=\"num\">Δ vs " + a + " [lower, upper]</th>";
  o += "</tr></thead><tbody>\n";
  for (const std::string& name : names) {
    const bool higher = HigherBetter(name);
    o += "<tr><td class=\"name" + std::string(name == primary ? " primary" : "") + "\">" +
         Escape(name) + (name == primary ? " ★ primary" : "") + "</td>";
    if (directions)
      o += higher ? "<td class=\"dir\">↑ higher is better</td>"
                  : "<td class=\"dir\">↓ lower is better</td>";
    for (const std::string& r : roles) {
      o += "<td class=\"num\">" + Num(At(At(At(At(set, "models"), r), key), name)) + "</td>";
    }
    for (const std::string& a : against) {
      o += DeltaCell(At(At(At(set, "comparisons"), a), name), higher ? 1.0 : -1.0);
    }
    o += "</tr>\n";
  }
  return o + "</tbody></table>\n";
}

const Json& FindSet(const Json& eval, const std::string& name) {
  static const Json kNull;
  const Json& sets = At(At(eval, "evaluation"), "sets");
  if (!sets.is_array()) return kNull;
  for (const Json& s : sets) {
    if (At(s, "name") == name) return s;
  }
  return kNull;
}

}  // namespace report

std::string RenderReportHtml(const nlohmann::json& eval) {
  using report::At;
  using report::Str;
  const std::string primary = Str(At(eval, "primary_metric"));
  std::string primary_set = Str(At(At(eval, "evaluation"), "primary_set"));
  const nlohmann::json& sets = At(At(eval, "evaluation"), "sets");
  if (primary_set.empty() && sets.is_array() && !sets.empty())
    primary_set = Str(At(sets[0], "name"));
  const nlohmann::json& set = report::FindSet(eval, primary_set);

  std::string name = Str(At(eval, "model_name"));
  const std::string version = Str(At(eval, "version"));
  if (!version.empty()) name += (name.empty() ? "" : " ") + version;
  const std::string title = report::Escape(name.empty() ? "freshet" : name) + " — evaluation";

  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" +
      title + "</title>\n<style>" + report::kStyle +
      "</style>\n</head>\n"
      "<body>\n<main>\n<h1>" +
      title + "</h1>\n<p class=\"meta\">" + report::Meta(eval) + "</p>\n";
  o += report::Banner(eval);
  o += "<h2>Gate rules</h2>\n" + report::GateRules(At(eval, "gate"));
  o += report::MetricsSection(eval, set, primary);
  o += report::CurvesSection(eval, set);
  o += report::SlicesSection(set, primary);
  o += report::VarianceSection(eval, primary);
  o += report::ShadowSection(eval);
  o += report::HistorySection(eval, primary);
  o += report::DataGateSection(eval);
  o += report::TrainingSection(eval, primary_set, primary);
  o += "<footer>Rendered by freshet from eval.json (" + report::Text(At(eval, "format")) +
       "). Self-contained: no scripts, no external resources.</footer>\n";
  return o + "</main>\n</body>\n</html>\n";
}

}  // namespace freshet
