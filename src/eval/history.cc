// MetricHistory and ReportEval: a version's evaluation as of now, for its report.
#include "freshet/eval_history.hpp"

#include "freshet/artifacts.hpp"
#include "freshet/error.hpp"
#include "freshet/eval_spec.hpp"

namespace freshet {

nlohmann::json MetricHistory(const Registry& registry, const std::string& model,
                             const std::string& metric, const std::string& current,
                             const nlohmann::json& value) {
  nlohmann::json out = nlohmann::json::array();
  bool have_current = false;
  for (const VersionInfo& v : registry.Versions(model)) {
    const nlohmann::json m = registry.Metrics(v);
    nlohmann::json val;
    if (m.contains("model") && m["model"].contains(metric)) val = m["model"][metric];
    out.push_back({{"version", v.name},
                   {"created", v.created},
                   {"value", val},
                   {"channels", v.channels},
                   {"current", v.name == current}});
    have_current |= v.name == current;
  }
  if (!current.empty() && !have_current) {
    out.push_back({{"version", current},
                   {"created", nullptr},
                   {"value", value},
                   {"channels", nlohmann::json::array()},
                   {"current", true}});
  }
  return out;
}

nlohmann::json ReportEval(const Registry& registry, const VersionInfo& v) {
  const auto artifacts = registry.Artifacts(v);
  if (!artifacts->Has(kEvalFile)) {
    throw IoError(artifacts->Describe(kEvalFile) + ": the version has no evaluation summary");
  }
  nlohmann::json eval =
      nlohmann::json::parse(artifacts->Read(kEvalFile), nullptr, /*allow_exceptions=*/false);
  if (!eval.is_object()) throw IoError(artifacts->Describe(kEvalFile) + ": not a JSON object");
  // An older eval.json has no primary metric: the task's default.
  const std::string task = eval.value("task", std::string("binary"));
  const std::string metric = eval.value(
      "primary_metric", ResolvedPrimaryMetric({}, task == "multiclass"   ? Task::kMulticlass
                                                  : task == "regression" ? Task::kRegression
                                                                         : Task::kBinary));
  eval["history"] = MetricHistory(registry, v.model, metric, v.name);
  eval["channels"] = v.channels;
  nlohmann::json shadow = nlohmann::json::array();
  for (const auto& e : registry.Evaluations(v.model, v.number)) {
    if (e.kind != "shadow") continue;
    shadow.push_back({{"time", e.time},
                      {"passed", e.passed},
                      {"reason", e.reason},
                      {"summary", e.summary},
                      {"user", e.user},
                      {"host", e.host}});
  }
  eval["shadow"] = shadow;
  for (const auto& e : registry.History(v.model)) {
    if (e.kind == "promote" && e.version == v.number && e.reason.rfind("FORCED", 0) == 0) {
      if (!eval.contains("gate") || !eval["gate"].is_object())
        eval["gate"] = nlohmann::json::object();
      eval["gate"]["forced"] = {
          {"user", e.user}, {"time", e.time}, {"channel", e.channel}, {"reason", e.reason}};
    }
  }
  return eval;
}

}  // namespace freshet
