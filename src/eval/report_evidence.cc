// The report's evidence beyond the evaluation sets: the variance of the main model across folds
// and seeds, and the shadow runs recorded since the publish.
#include <string>

#include "eval/report_html.h"
#include "eval/svg_chart.h"

namespace freshet::report {
namespace {

using Json = nlohmann::json;

std::string VarianceTable(const Json& v, const std::string& what, const std::string& primary) {
  const Json& metrics = At(v, "metrics");
  if (!metrics.is_object() || metrics.empty()) return "";
  std::string o = "<h3>" + what + " (" + Num(At(v, "runs")) +
                  " runs)</h3>\n<table><thead><tr><th>metric</th><th class=\"num\">mean</th><th "
                  "class=\"num\">std</th><th>values</th></tr></thead><tbody>\n";
  for (const auto& item : metrics.items()) {
    const bool p = item.key() == primary;
    o += "<tr><td class=\"name" + std::string(p ? " primary" : "") + "\">" + Escape(item.key()) +
         "</td><td class=\"num\">" + Num(At(item.value(), "mean")) + "</td><td class=\"num\">" +
         Num(At(item.value(), "std")) + "</td><td><small>";
    const Json& values = At(item.value(), "values");
    if (values.is_array()) {
      std::string list;
      for (const Json& x : values) list += (list.empty() ? "" : ", ") + Num(x);
      o += list;
    }
    o += "</small></td></tr>\n";
  }
  return o + "</tbody></table>\n";
}

}  // namespace

std::string VarianceSection(const Json& eval, const std::string& primary) {
  const Json& v = At(eval, "variance");
  if (!v.is_object()) return "";
  std::string o =
      VarianceTable(At(v, "cross_validation"),
                    "Cross-validation over the training "
                    "rows",
                    primary) +
      VarianceTable(At(v, "seeds"), "Repeated seeds, scored on the latest set", primary);
  if (o.empty()) return "";
  return "<h2>Variance</h2>\n<p class=\"note\">The main model retrained from scratch on folds of "
         "the "
         "training rows and with other seeds: how much its metrics move by chance.</p>\n" +
         o;
}

std::string ShadowSection(const Json& eval) {
  const Json& runs = At(eval, "shadow");
  if (!runs.is_array() || runs.empty()) return "";
  std::string o =
      "<h2>Shadow runs</h2>\n<table><thead><tr><th>time</th><th>champion</th><th "
      "class=\"num\">rows</th><th class=\"num\">agreement</th><th class=\"num\">flip rate</th><th "
      "class=\"num\">score PSI</th><th>result</th><th>reason</th></tr></thead><tbody>\n";
  for (const Json& r : runs) {
    const Json& s = At(r, "summary");
    const bool passed = At(r, "passed") == true;
    o += std::string(passed ? "<tr>" : "<tr class=\"failed\">") + "<td>" + Text(At(r, "time")) +
         "<br><small>" + Text(At(r, "user")) + "@" + Text(At(r, "host")) + "</small></td><td>" +
         Text(At(s, "champion")) + "</td><td class=\"num\">" + Num(At(s, "rows")) +
         "</td><td class=\"num\">" + Num(At(s, "agreement")) + "</td><td class=\"num\">" +
         Num(At(At(s, "flips"), "rate")) + "</td><td class=\"num\">" +
         Num(At(At(s, "score_shift"), "psi")) + "</td><td><span class=\"badge " +
         (passed ? "pass\">pass" : "fail\">fail") + "</span></td><td>" + Text(At(r, "reason")) +
         "</td></tr>\n";
  }
  return o + "</tbody></table>\n";
}

}  // namespace freshet::report
