// The data gate's value checks: profiles, the schema, labels, row counts; and its report.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "features/vocab.h"
#include "freshet/data_gate.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

std::string Pct(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%%", 100.0 * f);
  return buf;
}

std::string Fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

double Median(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? static_cast<double>(v[n / 2])
               : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2.0;
}

// The distinct label values of a table's label column.
std::set<double> LabelValues(const Table& t, const std::string& label) {
  std::set<double> out;
  const Column* c = t.Find(label);
  if (!c) return out;
  for (int64_t i = 0; i < c->size() && out.size() < 3; ++i) {
    const double y = c->as_double(i);
    if (!std::isnan(y)) out.insert(y);
  }
  return out;
}

ProfileOptions OptionsOf(const ValidateConfig& v) {
  ProfileOptions o;
  o.bins = v.bins;
  o.top_k = v.top_k;
  o.sample_size = v.sample_size;
  o.seed = v.seed;
  return o;
}

}  // namespace

void DataGate::Check(const RunTables& tables, const Device& device) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool classify = config_.task != Task::kRegression;
  const ProfileOptions options = OptionsOf(config_.validate);
  const std::vector<ProfileColumn> columns = GateColumns(config_, have_label_);
  const auto present = [&](const Table& t) {
    std::vector<ProfileColumn> out;
    for (const auto& c : columns) {
      if (t.Find(c.name)) out.push_back(c);
    }
    return out;
  };
  if (tables.train.rows() > 0) {
    train_profile_ = ComputeProfile(tables.train, present(tables.train), options, nullptr, device);
    for (const auto& c : train_profile_.columns) {
      if (c.name == config_.data.label || c.missing() < c.rows) continue;
      Add({"FEATURE_TYPE_NOT_PRESENT", Severity::kFail, c.name, "",
           "column \"" + c.name + "\" is missing in every one of the " + std::to_string(c.rows) +
               " training rows: its statistics would be made up",
           1.0, "< 1"});
    }
    if (classify && LabelValues(tables.train, config_.data.label).size() == 1) {
      Add({"LABEL_SINGLE_CLASS", Severity::kFail, config_.data.label, "",
           "label \"" + config_.data.label + "\": every training row holds the same class", 1,
           ">= 2"});
    }
    if (schema_inferred_) {
      schema_ =
          InferSchema(train_profile_, config_.model, "", config_.data.label, config_.validate);
      schema_.other_columns = other_columns_;
    }
  }
  // Evaluation rows of one class make AUC undefined (retrain's evaluation rows only).
  if (classify && tables.eval.rows() > 0 && tables.train.rows() > 0 &&
      LabelValues(tables.eval, config_.data.label).size() == 1) {
    std::string files;
    for (const auto& p : partitions_) {
      if (p["role"] == "eval") files += (files.empty() ? "" : ", ") + p["path"].get<std::string>();
    }
    Add({"LABEL_SINGLE_CLASS", Severity::kFail, config_.data.label, files,
         files + ": label \"" + config_.data.label +
             "\": every evaluation row holds the same class, so AUC and the gate's comparison "
             "are undefined",
         1, ">= 2"});
  }
  // Row counts of each fresh partition against recent partitions.
  std::vector<int64_t> recent = reference_.recent_rows;
  if (recent.empty()) {
    for (const auto& p : partitions_) {
      if (p["rows"].is_number()) recent.push_back(p["rows"].get<int64_t>());
    }
  }
  const double median = Median(recent);
  for (const auto& p : partitions_) {
    if (!p["fresh"].get<bool>() || !p["rows"].is_number() || median <= 0) continue;
    const auto rows = p["rows"].get<int64_t>();
    if (rows == 0) continue;  // PARTITION_EMPTY already
    const double ratio = static_cast<double>(rows) / median;
    const std::string path = p["path"].get<std::string>();
    if (ratio < config_.validate.min_rows_ratio) {
      Add({"DATASET_LOW_NUM_EXAMPLES", Severity::kWarn, "", path,
           path + ": " + std::to_string(rows) + " rows, " + Fmt(ratio) +
               "x the median of recent partitions (" + Fmt(median) + "); bound " +
               Fmt(config_.validate.min_rows_ratio) + "x",
           ratio, config_.validate.min_rows_ratio});
    } else if (ratio > config_.validate.max_rows_ratio) {
      Add({"DATASET_HIGH_NUM_EXAMPLES", Severity::kWarn, "", path,
           path + ": " + std::to_string(rows) + " rows, " + Fmt(ratio) +
               "x the median of recent partitions (" + Fmt(median) + "); bound " +
               Fmt(config_.validate.max_rows_ratio) + "x",
           ratio, config_.validate.max_rows_ratio});
    }
  }
  if (fresh_.rows() > 0) {
    const Profile* ref = reference_.profile ? &*reference_.profile : nullptr;
    // Without a reference there are no distributions to compare: the schema checks read counts.
    ProfileOptions fresh_options = options;
    fresh_options.counts_only = ref == nullptr;
    const Profile fresh = ComputeProfile(fresh_, present(fresh_), fresh_options, ref, device);
    fresh_summary_ = {{"rows", fresh.rows}, {"duplicate_rows", fresh.duplicate_rows}};
    CheckAgainstSchema(fresh, fresh_);
    if (ref) CheckDrift(fresh);
  }
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void DataGate::CheckAgainstSchema(const Profile& fresh, const Table& rows) {
  const ValidateConfig& v = config_.validate;
  const double n = static_cast<double>(fresh.rows);
  for (const auto& c : fresh.columns) {
    const ColumnSchema* cs = schema_.Find(c.name);
    const bool is_label = c.name == config_.data.label;
    if (!is_label && c.rows > 0 && c.missing() == c.rows && !schema_inferred_) {
      Add({"FEATURE_TYPE_NOT_PRESENT", Severity::kFail, c.name, "",
           "column \"" + c.name + "\" is missing in every one of the " + std::to_string(c.rows) +
               " fresh rows",
           1.0, "< 1"});
      continue;
    }
    if (!cs) continue;
    const double missing = n > 0 ? static_cast<double>(c.missing()) / n : 0.0;
    if (!is_label && missing > cs->max_missing_fraction) {
      const bool nan = c.kind == ColumnKind::kNumeric && cs->max_missing_fraction == 0;
      Add({nan ? "FLOAT_TYPE_HAS_NAN" : "FEATURE_TYPE_LOW_FRACTION_PRESENT", Severity::kWarn,
           c.name, "",
           "column \"" + c.name + "\": " + Pct(missing) + " of the fresh rows are missing, the " +
               "schema allows " + Pct(cs->max_missing_fraction),
           missing, cs->max_missing_fraction});
    }
    if (c.kind == ColumnKind::kNumeric && cs->has_range && c.numeric.count > 0) {
      const Column* col = rows.Find(c.name);
      int64_t below = 0, above = 0;
      if (col) {
        const kernels::NumericColumnView v = NumericView(*col);
        for (int64_t i = 0; i < col->size(); ++i) {
          bool missing;
          const double x = kernels::LoadNumeric(v, i, &missing);
          if (missing || std::isinf(x)) continue;
          below += x < cs->min;
          above += x > cs->max;
        }
      }
      const bool integer = c.dtype == "i32" || c.dtype == "i64";
      const double count = static_cast<double>(c.numeric.count);
      const auto report = [&](int64_t k, bool big) {
        const double f = static_cast<double>(k) / count;
        if (k == 0 || f <= v.out_of_range_fraction) return;
        const std::string name =
            std::string(integer ? "INT_TYPE_" : "FLOAT_TYPE_") +
            (big ? (integer ? "BIG_INT" : "BIG_FLOAT") : (integer ? "SMALL_INT" : "SMALL_FLOAT"));
        Add({name, Severity::kWarn, c.name, "",
             "column \"" + c.name + "\": " + Pct(f) + " of the fresh values are " +
                 (big ? "above the schema's max " + Fmt(cs->max) + " (largest " +
                            Fmt(c.numeric.max) + ")"
                      : "below the schema's min " + Fmt(cs->min) + " (smallest " +
                            Fmt(c.numeric.min) + ")") +
                 "; allowed " + Pct(v.out_of_range_fraction),
             f, v.out_of_range_fraction});
      };
      report(below, false);
      report(above, true);
    }
    if (c.kind == ColumnKind::kCategorical && cs->has_domain && c.categorical.count > 0) {
      const std::set<std::string> domain(cs->domain.begin(), cs->domain.end());
      int64_t unexpected = c.categorical.other;
      std::vector<std::string> examples;
      for (const auto& [value, k] : c.categorical.top) {
        if (domain.count(value)) continue;
        unexpected += k;
        if (examples.size() < 3) examples.push_back("\"" + value + "\"");
      }
      const double f = static_cast<double>(unexpected) / static_cast<double>(c.categorical.count);
      if (unexpected > 0 && f > v.unexpected_category_fraction) {
        std::string ex;
        for (const auto& e : examples) ex += (ex.empty() ? "" : ", ") + e;
        Add({"ENUM_TYPE_UNEXPECTED_STRING_VALUES", Severity::kWarn, c.name, "",
             "column \"" + c.name + "\": " + Pct(f) + " of the fresh values are outside the " +
                 "schema's domain (" + ex + "); allowed " + Pct(v.unexpected_category_fraction),
             f, v.unexpected_category_fraction});
      }
    }
  }
  const double dup = n > 0 ? static_cast<double>(fresh.duplicate_rows) / n : 0.0;
  if (dup > v.duplicate_fraction) {
    Add({"DUPLICATE_ROWS", Severity::kWarn, "", "",
         Pct(dup) + " of the fresh rows duplicate an earlier row in every column; allowed " +
             Pct(v.duplicate_fraction),
         dup, v.duplicate_fraction});
  }
}

nlohmann::json DataGate::Report() const {
  nlohmann::json anomalies = nlohmann::json::array();
  for (const auto& a : anomalies_) {
    anomalies.push_back(
        {{"name", a.name},
         {"severity", SeverityName(a.severity)},
         {"column", a.column.empty() ? nlohmann::json() : nlohmann::json(a.column)},
         {"partition", a.partition.empty() ? nlohmann::json() : nlohmann::json(a.partition)},
         {"value", a.value},
         {"threshold", a.threshold},
         {"message", a.message}});
  }
  const Severity s = status();
  return {{"format", kDataReportFormat},
          {"model", config_.model},
          {"status", s == Severity::kFail   ? "fail"
                     : s == Severity::kWarn ? "warn"
                                            : "pass"},
          {"reference", reference_.profile ? nlohmann::json{{"version", reference_.name},
                                                            {"rows", reference_.profile->rows}}
                                           : nlohmann::json()},
          {"schema", {{"inferred", schema_inferred_}, {"from", schema_.inferred_from}}},
          {"partitions", partitions_},
          {"fresh", fresh_summary_},
          {"anomalies", anomalies},
          {"drift", drift_.empty() ? nlohmann::json() : drift_},
          {"seconds", seconds_}};
}

std::string DataGate::Summary() const {
  std::ostringstream o;
  for (const auto& a : anomalies_) {
    o << (a.severity == Severity::kFail ? "FAIL " : "warn ") << a.name << ": " << a.message << "\n";
  }
  const Severity s = status();
  int fails = 0, warns = 0;
  for (const auto& a : anomalies_) (a.severity == Severity::kFail ? fails : warns)++;
  o << "data gate: "
    << (s == Severity::kFail   ? "fail"
        : s == Severity::kWarn ? "warn"
                               : "pass")
    << " (" << fails << " failing, " << warns << " warning";
  if (!drift_.empty()) {
    o << "; drift against " << reference_.name << ": " << drift_["drifted_columns"].get<int>()
      << " of " << drift_["decided_columns"].get<int>() << " columns";
  } else if (!reference_.profile) {
    o << "; no reference profile: drift not checked";
  }
  o << ")";
  return o.str();
}

void DataGate::Log() const {
  for (const auto& a : anomalies_) {
    if (a.severity == Severity::kFail) {
      spdlog::error("{}: {}", a.name, a.message);
    } else {
      spdlog::warn("{}: {}", a.name, a.message);
    }
  }
  if (anomalies_.empty()) return;
  const std::string summary = Summary();
  const std::string verdict = summary.substr(summary.find_last_of('\n') + 1);
  if (status() == Severity::kFail) {
    spdlog::error("{}", verdict);
  } else {
    spdlog::warn("{}", verdict);
  }
}

std::string DataGate::FailureLine() const {
  std::string out;
  int n = 0;
  for (const auto& a : anomalies_) {
    if (a.severity != Severity::kFail) continue;
    if (n++ < 3) out += (out.empty() ? "" : "; ") + a.name + ": " + a.message;
  }
  if (n > 3) out += "; and " + std::to_string(n - 3) + " more (data_report.json)";
  return "data gate: " + out;
}

}  // namespace freshet

namespace freshet {

nlohmann::json DataGateSummary(const DataGate& gate) {
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& a : gate.anomalies()) {
    warnings.push_back({{"name", a.name}, {"column", a.column}, {"message", a.message}});
  }
  const nlohmann::json report = gate.Report();
  return {
      {"status", report["status"]},
      {"warnings", warnings},
      {"drifted", report["drift"].is_null() ? nlohmann::json::array() : report["drift"]["drifted"]},
      {"report", kDataReportFile}};
}

}  // namespace freshet
