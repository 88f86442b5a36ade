// What a `freshet retrain` run reports to Prometheus through node_exporter's textfile collector
// (`--metrics-file`): the last run's status, exit code, duration per stage, version, gate
// decision, main metrics and data-gate counts. Names follow Prometheus' conventions: the
// freshet_retrain_ prefix, units in the name (_seconds), every sample labelled `model`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/prometheus.hpp"

namespace freshet {

struct RunReport {
  std::string model;
  int exit_code = 0;
  double end_unix = 0;                                      // when the run ended
  double seconds = 0;                                       // how long it ran
  nlohmann::json stage_seconds = nlohmann::json::object();  // {stage: seconds}
  std::optional<int64_t> version;                           // what it published
  std::optional<int64_t> champion;                          // the champion after the run
  // The run's eval.json (null when it published nothing): the gate's decision and the primary
  // set's metrics are read from it.
  nlohmann::json eval;
  // The data gate's report (data_report.json; null when the gate did not run): anomalies are
  // counted by severity.
  nlohmann::json data_report;
};

// The exit code's status name: published (0), failed (1), usage_error (2), no_new_data (3),
// gate_kept (4), data_refused (5), locked (6).
const char* RunStatus(int exit_code);

// The families of the run, in a fixed order:
//   freshet_retrain_last_run_timestamp_seconds, freshet_retrain_last_run_duration_seconds,
//   freshet_retrain_last_run_exit_code, freshet_retrain_last_run_status{status} (1 for the run's
//   status, 0 for the others), freshet_retrain_stage_duration_seconds{stage},
//   freshet_retrain_published_version and freshet_retrain_champion_version (when there is one),
//   freshet_retrain_gate_passed (when a gate decided), freshet_retrain_metric{metric} (the new
//   model's metrics on the primary evaluation set), freshet_retrain_data_anomalies{severity}
//   (when the data gate ran).
std::vector<MetricFamily> RunMetricFamilies(const RunReport& report);

// Writes RunMetricFamilies(report) to `path` as a node_exporter textfile (atomically), with
// end_unix set to now when it is 0. A failure to write is logged as a warning, never thrown: the
// metrics never change a run's outcome.
void WriteRunMetricsFile(const std::string& path, RunReport report);

}  // namespace freshet
