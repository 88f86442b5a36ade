// The pieces of report.html (include/freshet/eval_report.hpp): reading eval.json leniently and
// rendering its sections. Every function returns escaped HTML, never throws on any JSON shape.
// Private to src/eval/.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace freshet::report {

// j[key] when `j` is an object holding it; otherwise a null value.
const nlohmann::json& At(const nlohmann::json& j, const std::string& key);
// The number in `j`, NaN when it is not a number (null, missing, a string).
double Value(const nlohmann::json& j);
// A number with 4 decimals (whole numbers grouped in thousands unless `sign`), "—" otherwise.
std::string Num(const nlohmann::json& j, bool sign = false);
// Any scalar as escaped text, arrays of scalars joined with ", ", "—" for null or objects.
std::string Text(const nlohmann::json& j);
// The string in `j`, unescaped; "" when it is not a string.
std::string Str(const nlohmann::json& j);

// Whether a larger value of `metric` is better (auc, pr_auc, accuracy, precision, recall, f1,
// macro_f1, r2); every other metric is taken as lower-is-better.
bool HigherBetter(const std::string& metric);

// The roles of kRoles present in `set`'s models, in that order.
extern const char* const kRoles[3];
std::vector<std::string> PresentRoles(const nlohmann::json& set);

// The names of the metrics under `key` ("metrics" or "product_metrics") of `set`'s models:
// `primary` first, then the known metrics in a fixed order, then the rest alphabetically.
std::vector<std::string> MetricNames(const nlohmann::json& set, const std::string& key,
                                     const std::string& primary);

// A table of `set`'s metrics under `key`, one row per metric and one column per model, with the
// bootstrap difference against the champion and the fallback; "" when there are none.
// `directions` adds a column saying whether higher or lower is better.
std::string MetricsTable(const nlohmann::json& set, const std::string& key,
                         const std::string& primary, bool directions);

// The evaluation set named `name` of eval.evaluation.sets (a null value when absent).
const nlohmann::json& FindSet(const nlohmann::json& eval, const std::string& name);

// Sections (report_sections.cc). `set` is the primary evaluation set, `primary` the metric.
std::string CurvesSection(const nlohmann::json& eval, const nlohmann::json& set);
std::string SlicesSection(const nlohmann::json& set, const std::string& primary);
std::string HistorySection(const nlohmann::json& eval, const std::string& primary);
std::string DataGateSection(const nlohmann::json& eval);
std::string TrainingSection(const nlohmann::json& eval, const std::string& primary_set,
                            const std::string& primary);
// report_evidence.cc: the variance of the main model (eval.variance) and the shadow runs
// (eval.shadow, as `freshet report` adds them); "" when absent.
std::string VarianceSection(const nlohmann::json& eval, const std::string& primary);
std::string ShadowSection(const nlohmann::json& eval);

}  // namespace freshet::report
