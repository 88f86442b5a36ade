// A retrain run's Prometheus metrics (run_metrics.hpp).
#include "freshet/run_metrics.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <map>

#include <spdlog/spdlog.h>

namespace freshet {

const char* RunStatus(int exit_code) {
  switch (exit_code) {
    case 0:
      return "published";
    case 2:
      return "usage_error";
    case 3:
      return "no_new_data";
    case 4:
      return "gate_kept";
    case 5:
      return "data_refused";
    case 6:
      return "locked";
    default:
      return "failed";
  }
}

std::vector<MetricFamily> RunMetricFamilies(const RunReport& r) {
  using Labels = std::map<std::string, std::string>;
  const Labels model = {{"model", r.model}};
  const auto with = [&](const char* key, const std::string& value) {
    Labels l = model;
    l[key] = value;
    return l;
  };
  std::vector<MetricFamily> f;
  f.push_back({"freshet_retrain_last_run_timestamp_seconds",
               "gauge",
               "Unix time when the last retrain run ended.",
               {{model, r.end_unix}}});
  f.push_back({"freshet_retrain_last_run_duration_seconds",
               "gauge",
               "How long the last retrain run took.",
               {{model, r.seconds}}});
  f.push_back({"freshet_retrain_last_run_exit_code",
               "gauge",
               "The last run's exit code (0 published, 3 no new data, 4 gate kept the champion, "
               "5 data refused, 6 locked, 2 usage, 1 failure).",
               {{model, static_cast<double>(r.exit_code)}}});
  MetricFamily status{"freshet_retrain_last_run_status",
                      "gauge",
                      "1 for the last run's status, 0 for the others.",
                      {}};
  for (int code : {0, 3, 4, 5, 6, 2, 1}) {
    const std::string name = RunStatus(code);
    status.samples.push_back({with("status", name), name == RunStatus(r.exit_code) ? 1.0 : 0.0});
  }
  f.push_back(std::move(status));
  MetricFamily stages{"freshet_retrain_stage_duration_seconds",
                      "gauge",
                      "Seconds the last run spent in each stage.",
                      {}};
  for (const auto& [stage, seconds] : r.stage_seconds.items()) {
    if (seconds.is_number())
      stages.samples.push_back({with("stage", stage), seconds.get<double>()});
  }
  if (!stages.samples.empty()) f.push_back(std::move(stages));
  if (r.version) {
    f.push_back({"freshet_retrain_published_version",
                 "gauge",
                 "The version the last run published.",
                 {{model, static_cast<double>(*r.version)}}});
  }
  if (r.champion) {
    f.push_back({"freshet_retrain_champion_version",
                 "gauge",
                 "The version the champion channel holds after the last run.",
                 {{model, static_cast<double>(*r.champion)}}});
  }
  const nlohmann::json& gate =
      r.eval.is_object() && r.eval.contains("gate") ? r.eval["gate"] : nlohmann::json();
  if (gate.is_object() && gate.contains("decision")) {
    f.push_back({"freshet_retrain_gate_passed",
                 "gauge",
                 "1 when the last run's promotion gate passed, 0 when it kept the champion.",
                 {{model, gate["decision"] == "pass" ? 1.0 : 0.0}}});
  }
  if (r.eval.is_object() && r.eval.contains("metrics") && r.eval["metrics"].is_object()) {
    MetricFamily metrics{"freshet_retrain_metric",
                         "gauge",
                         "The published model's metrics on the primary evaluation set.",
                         {}};
    for (const auto& [name, value] : r.eval["metrics"].items()) {
      metrics.samples.push_back(
          {with("metric", name), value.is_number() ? value.get<double>() : NAN});
    }
    if (!metrics.samples.empty()) f.push_back(std::move(metrics));
  }
  if (r.data_report.is_object() && r.data_report.contains("anomalies")) {
    std::map<std::string, double> counts = {{"fail", 0}, {"warn", 0}};
    for (const auto& a : r.data_report["anomalies"]) {
      if (a.contains("severity") && a["severity"].is_string()) {
        counts[a["severity"].get<std::string>()] += 1;
      }
    }
    MetricFamily anomalies{"freshet_retrain_data_anomalies",
                           "gauge",
                           "The data gate's findings in the last run, by severity.",
                           {}};
    for (const auto& [severity, n] : counts) {
      anomalies.samples.push_back({with("severity", severity), n});
    }
    f.push_back(std::move(anomalies));
  }
  return f;
}

void WriteRunMetricsFile(const std::string& path, RunReport report) {
  if (report.end_unix == 0) {
    report.end_unix =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  try {
    WriteMetricsTextfile(path, RenderMetrics(RunMetricFamilies(report)));
  } catch (const std::exception& e) {
    spdlog::warn("--metrics-file: {}", e.what());
  }
}

}  // namespace freshet
