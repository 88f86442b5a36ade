// The sections of report.html after the metrics: curves, slices, history, data gate, training.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "eval/report_html.h"
#include "eval/svg_chart.h"

namespace freshet::report {
namespace {

using Json = nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// "challenger v000003 (auc 0.8300)": a legend entry for `role`'s curve.
std::string SeriesName(const Json& set, const std::string& role, const char* metric) {
  const Json& model = At(At(set, "models"), role);
  std::string name = role;
  if (At(model, "version").is_string()) name += " " + Str(At(model, "version"));
  const double v = Value(At(At(model, "metrics"), metric));
  if (std::isfinite(v)) name += " (" + std::string(metric) + " " + Fixed(v, 4) + ")";
  return name;
}

// Pairs [[x, y], ...] as points; anything else in the array becomes a gap.
std::vector<std::array<double, 2>> Pairs(const Json& a) {
  std::vector<std::array<double, 2>> out;
  if (!a.is_array()) return out;
  for (const Json& p : a) {
    const bool ok = p.is_array() && p.size() >= 2;
    out.push_back({ok ? Value(p[0]) : kNaN, ok ? Value(p[1]) : kNaN});
  }
  return out;
}

LineChart UnitChart(const char* id, const char* title, const char* x, const char* y) {
  LineChart c;
  c.id = id;
  c.title = title;
  c.x.label = x;
  c.y.label = y;
  c.x.unit = c.y.unit = true;
  return c;
}

std::string Figure(const LineChart& c, const std::string& caption) {
  return "<figure>" + RenderLineChart(c) + "<figcaption>" + caption + "</figcaption></figure>\n";
}

// Key/value rows of an object's scalars, one level of nested objects flattened as "a.b"; arrays
// of up to 8 scalars joined.
void Flatten(const Json& j, const std::string& prefix,
             std::vector<std::pair<std::string, Json>>* out) {
  if (!j.is_object()) return;
  for (const auto& item : j.items()) {
    const Json& v = item.value();
    const std::string key = prefix + item.key();
    if (v.is_object()) {
      if (prefix.empty()) Flatten(v, key + ".", out);
    } else if (!v.is_array() ||
               (v.size() <= 8 &&
                std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_primitive(); }))) {
      out->emplace_back(key, v);
    }
  }
}

// Whether every neighbour of history[i] that has a value is higher (and there is one): its label
// then goes under the point, off the line.
bool LowPoint(const Json& history, size_t i) {
  const double y = Value(At(history[i], "value"));
  bool any = false;
  for (size_t j : {i - 1, i + 1}) {
    if (j >= history.size()) continue;  // i - 1 wraps for i == 0
    const double v = Value(At(history[j], "value"));
    if (!std::isfinite(v)) continue;
    if (v <= y) return false;
    any = true;
  }
  return any;
}

}  // namespace

std::string CurvesSection(const Json& eval, const Json& set) {
  const Json& curves = At(set, "curves");
  if (Str(At(eval, "task")) != "binary" || !curves.is_object() || curves.empty()) return "";
  LineChart roc = UnitChart("roc", "ROC curve", "false positive rate", "true positive rate");
  roc.diagonal = true;
  roc.diagonal_label = "chance";
  LineChart pr = UnitChart("pr", "Precision-recall curve", "recall", "precision");
  const double rate = Value(At(At(eval, "label"), "positive_rate"));
  if (std::isfinite(rate)) {
    pr.has_reference_y = true;
    pr.reference_y = rate;
    pr.reference_label = "positive rate " + Fixed(rate, 4);
  }
  LineChart cal = UnitChart("calibration", "Calibration (reliability diagram)",
                            "mean predicted probability", "fraction positive");
  cal.diagonal = true;
  cal.diagonal_label = "perfectly calibrated";
  for (int i = 0; i < 3; ++i) {
    const Json& c = At(curves, kRoles[i]);
    if (!c.is_object()) continue;
    if (At(c, "roc").is_array())
      roc.series.push_back({SeriesName(set, kRoles[i], "auc"), Pairs(At(c, "roc")), i, false, {}});
    if (At(c, "pr").is_array())
      pr.series.push_back({SeriesName(set, kRoles[i], "pr_auc"), Pairs(At(c, "pr")), i, false, {}});
    const Json& bins = At(c, "calibration");
    if (!bins.is_array()) continue;
    ChartSeries s{SeriesName(set, kRoles[i], "ece"), {}, i, true, {}};
    for (const Json& b : bins) {
      s.points.push_back({Value(At(b, "mean_predicted")), Value(At(b, "fraction_positive"))});
      s.titles.push_back(std::string(kRoles[i]) + ": [" + Fixed(Value(At(b, "lower")), 2) + ", " +
                         Fixed(Value(At(b, "upper")), 2) + "), " + Num(At(b, "rows")) +
                         " rows, predicted " + Num(At(b, "mean_predicted")) + ", observed " +
                         Num(At(b, "fraction_positive")));
    }
    cal.series.push_back(std::move(s));
  }
  std::string o = "<h2>Curves — " + Text(At(set, "name")) + " set</h2>\n<div class=\"charts\">\n";
  if (!roc.series.empty())
    o += Figure(roc, "ROC: true against false positive rate over all thresholds.");
  if (!pr.series.empty()) o += Figure(pr, "Precision against recall over all thresholds.");
  if (!cal.series.empty())
    o += Figure(cal, "Observed fraction of positives per bin of predicted probability.");
  return o + "</div>\n";
}

std::string SlicesSection(const Json& set, const std::string& primary) {
  const Json& slices = At(set, "slices");
  if (!slices.is_array() || slices.empty()) return "";
  const std::vector<std::string> roles = PresentRoles(set);
  std::string o =
      "<h2>Slices — " + Escape(primary) +
      "</h2>\n<p class=\"note\">Improvement is signed so that positive is better for the "
      "challenger; highlighted rows do worse than the champion.</p>\n<table><thead><tr>"
      "<th>column</th><th>value</th><th class=\"num\">rows</th>";
  for (const std::string& r : roles)
    o += "<th class=\"num\">" + Escape(primary) + " " + r + "</th>";
  o +=
      "<th class=\"num\">improvement vs champion</th><th class=\"num\">improvement vs fallback</th>"
      "</tr></thead><tbody>\n";
  for (const Json& s : slices) {
    const Json& imp = At(s, "improvement");
    const double vs_champion = Value(At(imp, "champion"));
    o += std::string(vs_champion < 0 ? "<tr class=\"regress\">" : "<tr>") + "<td>" +
         Text(At(s, "column")) + "</td><td>" + Text(At(s, "value")) + "</td><td class=\"num\">" +
         Num(At(s, "rows")) + "</td>";
    for (const std::string& r : roles) {
      o += "<td class=\"num\">" + Num(At(At(At(s, "metrics"), r), primary)) + "</td>";
    }
    for (const char* other : {"champion", "fallback"}) {
      const double v = Value(At(imp, other));
      o += std::string("<td class=\"num") +
           (v > 0   ? " better"
            : v < 0 ? " worse"
                    : "") +
           "\">" + Num(At(imp, other), true) + "</td>";
    }
    o += "</tr>\n";
  }
  return o + "</tbody></table>\n";
}

std::string HistorySection(const Json& eval, const std::string& primary) {
  const Json& history = At(eval, "history");
  if (!history.is_array() || history.empty()) return "";
  LineChart c;
  c.id = "history";
  c.title = "History of " + primary;
  c.x.label = "version";
  c.y.label = primary + (HigherBetter(primary) ? " (higher is better)" : " (lower is better)");
  c.plot_width = 960;
  c.plot_height = 220;
  ChartSeries s{primary + " of each version", {}, 0, true, {}};
  bool any = false;
  for (size_t i = 0; i < history.size(); ++i) {
    const Json& h = history[i];
    const double x = static_cast<double>(i), y = Value(At(h, "value"));
    any = any || std::isfinite(y);
    std::string version = Str(At(h, "version"));
    const bool current =
        At(h, "current") == true || (!version.empty() && version == Str(At(eval, "version")));
    if (current) c.highlight = static_cast<int>(i), version += " (this run)";
    c.x.categories.push_back(version);
    s.points.push_back({x, y});
    std::string channels;
    if (At(h, "channels").is_array())
      for (const Json& ch : At(h, "channels")) channels += (channels.empty() ? "" : ", ") + Str(ch);
    s.titles.push_back(version + ": " + Fixed(y, 4) +
                       (channels.empty() ? "" : " [" + channels + "]"));
    if (!std::isfinite(y)) {
      c.notes.push_back({x, y, channels.empty() ? "no value" : channels + " (no value)"});
    } else if (!channels.empty()) {
      c.notes.push_back({x, y, channels, LowPoint(history, i)});
    }
  }
  if (!any) return "";
  c.series.push_back(std::move(s));
  return "<h2>History — " + Escape(primary) + "</h2>\n<figure>" + RenderLineChart(c) +
         "<figcaption>The primary metric of each version, labelled with the channels that point at "
         "it; "
         "this run ringed.</figcaption></figure>\n";
}

std::string DataGateSection(const Json& eval) {
  const Json& gate = At(eval, "data_gate");
  std::string o = "<h2>Data gate</h2>\n";
  if (!gate.is_object())
    return o + "<p class=\"note\">No data gate result in this evaluation.</p>\n";
  const std::string status = Str(At(gate, "status"));
  const std::string cls =
      status == "pass" || status == "warn" || status == "fail" ? status : "none";
  o += "<p>Status: <span class=\"badge " + cls + "\">" + Text(At(gate, "status")) + "</span>";
  if (At(gate, "report").is_string())
    o += " · details in <code>" + Text(At(gate, "report")) + "</code>";
  o += "</p>\n";
  const Json& warnings = At(gate, "warnings");
  if (warnings.is_array() && !warnings.empty()) {
    o += "<table><thead><tr><th>finding</th><th>column</th><th>message</th></tr></thead><tbody>\n";
    for (const Json& w : warnings) {
      o += "<tr><td>" + Text(At(w, "name")) + "</td><td>" + Text(At(w, "column")) + "</td><td>" +
           Text(At(w, "message")) + "</td></tr>\n";
    }
    o += "</tbody></table>\n";
  } else {
    o += "<p class=\"note\">No warnings.</p>\n";
  }
  const Json& drifted = At(gate, "drifted");
  o += "<p>Drifted columns: " +
       (drifted.is_array() && !drifted.empty() ? Text(drifted) : std::string("none")) + "</p>\n";
  return o;
}

std::string TrainingSection(const Json& eval, const std::string& primary_set,
                            const std::string& primary) {
  std::string o = "<h2>Training</h2>\n";
  std::vector<std::pair<std::string, Json>> main_rows, fallback_rows;
  Flatten(At(eval, "model"), "", &main_rows);
  Flatten(At(eval, "fallback"), "", &fallback_rows);
  std::vector<std::string> keys;
  for (const auto* rows : {&main_rows, &fallback_rows})
    for (const auto& [k, v] : *rows)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  constexpr const char* kFirst[] = {"kind", "parameters", "epochs", "steps", "rows"};
  const auto rank = [&](const std::string& k) {
    return std::find(std::begin(kFirst), std::end(kFirst), k) - std::begin(kFirst);
  };
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  const auto lookup = [](const std::vector<std::pair<std::string, Json>>& rows,
                         const std::string& k) {
    for (const auto& [key, v] : rows)
      if (key == k) return Text(v);
    return std::string("—");
  };
  if (!keys.empty()) {
    o += "<h3>Models</h3>\n<table class=\"kv\"><thead><tr><th>property</th><th "
         "class=\"num\">model</th><th class=\"num\">fallback</th></tr>"
         "</thead><tbody>\n";
    for (const std::string& k : keys) {
      o += "<tr><td>" + Escape(k) + "</td><td class=\"num\">" + lookup(main_rows, k) +
           "</td><td class=\"num\">" + lookup(fallback_rows, k) + "</td></tr>\n";
    }
    o += "</tbody></table>\n";
  }
  std::vector<std::pair<std::string, Json>> train;
  Flatten(At(eval, "train"), "", &train);
  if (!train.empty()) {
    o += "<h3>Training parameters</h3>\n<table class=\"kv\"><tbody>\n";
    for (const auto& [k, v] : train)
      o += "<tr><td>" + Escape(k) + "</td><td class=\"num\">" + Text(v) + "</td></tr>\n";
    o += "</tbody></table>\n";
  }
  const Json& sets = At(At(eval, "evaluation"), "sets");
  if (!sets.is_array() || sets.empty()) return o;
  o += "<h3>Evaluation sets</h3>\n<table><thead><tr><th>set</th><th class=\"num\">rows</th>"
       "<th>files</th></tr></thead><tbody>\n";
  for (const Json& s : sets) {
    std::string files;
    if (At(s, "files").is_array())
      for (const Json& f : At(s, "files"))
        files += "<code>" + Text(At(f, "path")) + "</code> <small>" + Num(At(f, "rows")) +
                 " rows, sha256 " + Escape(Str(At(f, "sha256")).substr(0, 12)) + "…</small><br>";
    o += "<tr><td>" + Text(At(s, "name")) + "</td><td class=\"num\">" + Num(At(s, "rows")) +
         "</td><td>" + (files.empty() ? "—" : files) + "</td></tr>\n";
  }
  o += "</tbody></table>\n";
  for (const Json& s : sets) {
    if (Str(At(s, "name")) == primary_set) continue;
    o += "<h3>Set " + Text(At(s, "name")) + " (" + Num(At(s, "rows")) + " rows)</h3>\n";
    const std::string table = MetricsTable(s, "metrics", primary, false);
    o += table.empty() ? "<p class=\"note\">No metrics.</p>\n" : table;
  }
  return o;
}

}  // namespace freshet::report
