// The data gate: the checks every `retrain` makes on a batch before anything is fitted, and that
// `freshet validate` makes alone. It reads the run's partitions with structural checks (missing,
// new and retyped columns, empty partitions, non-finite values, bad labels), profiles the training
// rows (profile.json of the new version) and the fresh rows (the partitions the champion has not
// seen), checks the fresh rows against the schema, and compares them with the champion's profile
// for drift. Every finding is an Anomaly with a TFDV-style name and a severity; every drift value
// is reported, alarm or not. The outcome is data_report.json and a readable summary.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/profile.hpp"
#include "freshet/schema.hpp"
#include "freshet/validate.hpp"

namespace freshet {

inline constexpr const char kDataReportFile[] = "data_report.json";
inline constexpr const char kDataReportFormat[] = "freshet.data_report/1";

struct Anomaly {
  std::string name;  // SCHEMA_MISSING_COLUMN, FEATURE_DRIFT, ... (README, "The data gate")
  Severity severity = Severity::kWarn;
  std::string column;     // "" for a dataset-level finding
  std::string partition;  // the file, where one is to blame
  std::string message;    // one line: the check, the value and the bound
  nlohmann::json value, threshold;
};

// What the gate compares against: the champion's profile (none on a first run), its name, and the
// row counts of recent partitions (the champion's lineage).
struct GateReference {
  std::optional<Profile> profile;
  std::string name;  // "v000003"
  std::vector<int64_t> recent_rows;
};

class DataGate {
 public:
  // `schema` is the model's schema.yaml (none on a first run: the gate infers one from the
  // training rows, see schema()).
  DataGate(const Config& config, std::optional<Schema> schema, GateReference reference);

  // Reads every input (structural checks first: a partition that fails one is not read), records
  // its rows in `inputs`, and splits the rows by role ("train", "eval"; any other role, as
  // `validate` uses, counts as evaluation rows for the split). `fresh[i]` says whether input i is
  // new since the reference. When `need_label` is false a partition without the label column is
  // read without it (logged serving traffic). Throws nothing for bad data: findings become
  // anomalies.
  RunTables Read(std::vector<InputFile>* inputs, const std::vector<bool>& fresh, bool need_label);

  // Profiles the training rows and the fresh rows and runs the value, schema and drift checks.
  void Check(const RunTables& tables, const Device& device);

  // The worst severity found (kOff when nothing was).
  Severity status() const;
  const std::vector<Anomaly>& anomalies() const { return anomalies_; }
  // The training rows' profile (after Check; empty without training rows).
  const Profile& train_profile() const { return train_profile_; }
  // The schema checked against: the model's, or the one inferred from the training rows.
  const Schema& schema() const { return schema_; }
  bool schema_inferred() const { return schema_inferred_; }
  // data_report.json.
  nlohmann::json Report() const;
  // One line per warning and failure, then the verdict.
  std::string Summary() const;
  // Logs each finding (failures as errors, warnings as warnings) and, when there is any, the
  // verdict line of Summary(): through the logger, so `--log-format json` stays one object a line.
  void Log() const;
  // One line for a failed run's record: the failing checks, by column.
  std::string FailureLine() const;

 private:
  void Add(Anomaly a);
  Severity SeverityOf(const std::string& name, const std::string& column, Severity dflt) const;
  void CheckStructure(const InputFile& in, const std::vector<StoredColumn>& stored, bool* readable);
  void CheckPartitionValues(const Table& t, const InputFile& in);
  void CheckAgainstSchema(const Profile& fresh, const Table& rows);
  void CheckDrift(const Profile& fresh);
  // Makes `t`'s columns appendable to `dst`'s (numeric widths unified as f64); false, with an
  // anomaly, when they cannot be.
  bool Unify(Table* dst, Table* t, const std::string& path);

  const Config& config_;
  Schema schema_;
  bool schema_inferred_ = false;
  GateReference reference_;
  bool have_label_ = true;
  std::vector<Anomaly> anomalies_;
  Profile train_profile_;
  Table fresh_;                             // the rows of the fresh partitions
  std::vector<std::string> other_columns_;  // unused columns seen on a first run
  int64_t fresh_partitions_ = 0;
  nlohmann::json partitions_ = nlohmann::json::array();
  nlohmann::json drift_ = nlohmann::json::object();
  nlohmann::json fresh_summary_ = nlohmann::json::object();
  double seconds_ = 0;
};

// The columns the gate profiles for a config: every feature input column (crosses' inputs
// included), then the label (when `with_label`).
std::vector<ProfileColumn> GateColumns(const Config& config, bool with_label);

}  // namespace freshet

namespace freshet {

class Registry;
struct VersionInfo;

// What the gate needs from the registry: the model's schema.yaml (when it has one), and the
// reference version's profile, name and lineage row counts (when `reference` is given and has a
// profile.json). `fresh` gets one flag per input: true unless the reference version read the same
// file (same SHA-256). Throws ConfigError naming schema.yaml when it does not parse, ArtifactError
// naming profile.json when it is malformed.
struct GateSetup {
  std::optional<Schema> schema;
  GateReference reference;
  std::vector<bool> fresh;
};
GateSetup PrepareGate(const Registry& registry, const Config& config,
                      const std::optional<VersionInfo>& reference,
                      const std::vector<InputFile>& inputs);

}  // namespace freshet

namespace freshet {
// The gate's part of eval.json: its status, its warnings and the report's name.
nlohmann::json DataGateSummary(const DataGate& gate);
}  // namespace freshet
