// The data gate: reading with structural checks, schema checks on the fresh rows, the report.
#include "freshet/data_gate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"

namespace freshet {
namespace {

std::string Fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string Base(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

bool IsNumericType(const std::string& t) { return t == "integer" || t == "float"; }

// The type class a dtype was stored as.
std::string TypeClass(const std::string& dtype) {
  if (dtype == "string") return "string";
  if (dtype == "f32" || dtype == "f64") return "float";
  return "integer";
}

}  // namespace

std::vector<ProfileColumn> GateColumns(const Config& config, bool with_label) {
  std::vector<ProfileColumn> out;
  std::set<std::string> seen;
  const auto add = [&](const std::string& name, ColumnKind kind) {
    if (seen.insert(name).second) out.push_back({name, kind});
  };
  for (const auto& f : config.features) {
    if (f.is_cross()) {
      for (const auto& c : f.cross) add(c, ColumnKind::kCategorical);
    } else {
      add(f.column, f.type);
    }
  }
  // The label is numbers for every task: class labels profile as a few-valued numeric column.
  if (with_label) add(config.data.label, ColumnKind::kNumeric);
  return out;
}

DataGate::DataGate(const Config& config, std::optional<Schema> schema, GateReference reference)
    : config_(config), reference_(std::move(reference)) {
  if (schema) schema_ = std::move(*schema);
  schema_inferred_ = !schema.has_value() || schema_.columns.empty();
}

Severity DataGate::SeverityOf(const std::string& name, const std::string& column,
                              Severity dflt) const {
  const ValidateConfig& v = config_.validate;
  if (auto c = v.columns.find(column); c != v.columns.end()) {
    if (auto s = c->second.severity.find(name); s != c->second.severity.end()) return s->second;
  }
  if (auto s = v.severity.find(name); s != v.severity.end()) return s->second;
  return dflt;
}

void DataGate::Add(Anomaly a) {
  a.severity = SeverityOf(a.name, a.column, a.severity);
  if (a.severity == Severity::kOff) return;
  anomalies_.push_back(std::move(a));
}

Severity DataGate::status() const {
  Severity s = Severity::kOff;
  for (const auto& a : anomalies_) s = std::max(s, a.severity);
  return s;
}

void DataGate::CheckStructure(const InputFile& in, const std::vector<StoredColumn>& stored,
                              bool* readable) {
  *readable = true;
  const auto find = [&](const std::string& name) -> const StoredColumn* {
    for (const auto& s : stored) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  std::set<std::string> expected;
  for (const auto& req : config_.Columns()) {
    expected.insert(req.name);
    const bool is_label = req.name == config_.data.label;
    const StoredColumn* s = find(req.name);
    if (!s) {
      if (is_label && !have_label_) continue;
      const ColumnSchema* cs = schema_.Find(req.name);
      const bool optional = cs && !cs->required && !is_label;
      Add({"SCHEMA_MISSING_COLUMN", optional ? Severity::kWarn : Severity::kFail, req.name, in.path,
           in.path + ": column \"" + req.name + "\" is missing" + (is_label ? " (the label)" : "") +
               (optional ? " (optional in the schema: read as missing in every row)" : ""),
           nullptr, nullptr});
      if (!cs || cs->required || is_label) *readable = false;
      continue;
    }
    if (s->type == "unknown") continue;  // CSV: types are checked as the values are parsed
    const bool want_numeric = req.kind == ColumnKind::kNumeric;
    const bool is_numeric = IsNumericType(s->type);
    const ColumnSchema* cs = schema_.Find(req.name);
    if (want_numeric != is_numeric &&
        !(req.kind == ColumnKind::kCategorical && s->type == "integer")) {
      Add({"UNEXPECTED_DATA_TYPE", Severity::kFail, req.name, in.path,
           in.path + ": column \"" + req.name + "\" is stored as " + s->type + ", expected " +
               (want_numeric ? "numbers" : "strings or integer codes"),
           s->type, want_numeric ? "numeric" : "categorical"});
      *readable = false;
    } else if (cs && !cs->dtype.empty() && TypeClass(cs->dtype) != s->type) {
      Add({"UNEXPECTED_DATA_TYPE", Severity::kWarn, req.name, in.path,
           in.path + ": column \"" + req.name + "\" is stored as " + s->type +
               ", the schema says " + TypeClass(cs->dtype) + " (" + cs->dtype + ")",
           s->type, TypeClass(cs->dtype)});
    }
  }
  for (const auto& s : stored) {
    if (expected.count(s.name) || schema_.Find(s.name)) continue;
    if (schema_inferred_) {
      // A first run: the schema to be inferred records the columns the data holds.
      if (std::find(other_columns_.begin(), other_columns_.end(), s.name) == other_columns_.end()) {
        other_columns_.push_back(s.name);
      }
      continue;
    }
    if (std::find(schema_.other_columns.begin(), schema_.other_columns.end(), s.name) !=
        schema_.other_columns.end()) {
      continue;
    }
    Add({"SCHEMA_NEW_COLUMN", Severity::kWarn, s.name, in.path,
         in.path + ": column \"" + s.name + "\" is not in the schema or the config", nullptr,
         nullptr});
  }
}

void DataGate::CheckPartitionValues(const Table& t, const InputFile& in) {
  if (t.rows() == 0) {
    Add({"PARTITION_EMPTY", Severity::kFail, "", in.path,
         in.path + ": the " +
             (in.role == "train"  ? std::string("training")
              : in.role == "eval" ? "evaluation"
                                  : "input") +
             " partition holds no rows",
         0, 1});
    return;
  }
  for (const auto& f : config_.features) {
    if (f.type != ColumnKind::kNumeric) continue;
    const Column* col = t.Find(f.column);
    if (!col || col->is_string()) continue;
    const ColumnSchema* cs = schema_.Find(f.column);
    if (cs && cs->allow_inf) continue;
    int64_t inf = 0, first = -1;
    for (int64_t i = 0; i < col->size(); ++i) {
      if (std::isinf(col->as_double(i))) {
        if (first < 0) first = i;
        ++inf;
      }
    }
    if (inf > 0) {
      Add({"FLOAT_TYPE_HAS_INF", Severity::kFail, f.column, in.path,
           in.path + ": column \"" + f.column + "\": " + std::to_string(inf) +
               " value(s) are +-Inf, first at row " + std::to_string(first) +
               " (NaN is missing; Inf is not allowed)",
           inf, 0});
    }
  }
  const Column* label = t.Find(config_.data.label);
  if (!label) return;
  int64_t missing = 0, invalid = 0, first_missing = -1, first_invalid = -1;
  double bad = 0;
  for (int64_t i = 0; i < label->size(); ++i) {
    const double y = label->as_double(i);
    if (std::isnan(y)) {
      if (first_missing < 0) first_missing = i;
      ++missing;
    } else if ((config_.task == Task::kBinary && y != 0.0 && y != 1.0) || std::isinf(y) ||
               (config_.task == Task::kMulticlass && (y < 0 || y != std::floor(y)))) {
      if (first_invalid < 0) {
        first_invalid = i;
        bad = y;
      }
      ++invalid;
    }
  }
  if (missing > 0) {
    Add({"LABEL_MISSING", Severity::kFail, config_.data.label, in.path,
         in.path + ": label column \"" + config_.data.label + "\", row " +
             std::to_string(first_missing) + ": label is missing (" + std::to_string(missing) +
             " row(s))",
         missing, 0});
  }
  if (invalid > 0) {
    const std::string want = config_.task == Task::kBinary       ? "0 or 1 for a binary task"
                             : config_.task == Task::kMulticlass ? "a class index >= 0"
                                                                 : "a finite number";
    Add({"LABEL_INVALID", Severity::kFail, config_.data.label, in.path,
         in.path + ": label column \"" + config_.data.label + "\", row " +
             std::to_string(first_invalid) + ": expected " + want + ", got " + Fmt(bad) + " (" +
             std::to_string(invalid) + " row(s))",
         invalid, 0});
  }
}

namespace {

// The column as f64 (NaN where missing).
Column AsF64(const Column& c) {
  std::vector<double> v(static_cast<size_t>(c.size()));
  for (int64_t i = 0; i < c.size(); ++i) v[i] = c.is_valid(i) ? c.as_double(i) : NAN;
  return NumericColumn(c.name, DType::kF64, v);
}

// Integer codes as i64 (missing rows kept missing).
Column AsI64(const Column& c) {
  std::vector<int64_t> v(static_cast<size_t>(c.size()));
  for (int64_t i = 0; i < c.size(); ++i) {
    v[i] = c.dtype == DType::kI32 ? c.values<int32_t>()[i] : c.values<int64_t>()[i];
  }
  return NumericColumn(c.name, DType::kI64, v, c.valid);
}

bool IsInteger(DType t) { return t == DType::kI32 || t == DType::kI64; }

}  // namespace

bool DataGate::Unify(Table* dst, Table* t, const std::string& path) {
  if (dst->columns.size() != t->columns.size()) {
    Add({"PARTITION_UNREADABLE", Severity::kFail, "", path,
         path + ": holds other columns than the run's earlier partitions (" +
             std::to_string(t->columns.size()) + " against " + std::to_string(dst->columns.size()) +
             ")",
         nullptr, nullptr});
    return false;
  }
  for (size_t j = 0; j < t->columns.size(); ++j) {
    Column& a = dst->columns[j];
    Column& b = t->columns[j];
    if (a.dtype == b.dtype) continue;
    if (a.is_string() || b.is_string()) {
      Add({"UNEXPECTED_DATA_TYPE", Severity::kFail, b.name, path,
           path + ": column \"" + b.name + "\" is stored as " + DTypeName(b.dtype) +
               ", the run's earlier partitions as " + DTypeName(a.dtype),
           DTypeName(b.dtype), DTypeName(a.dtype)});
      return false;
    }
    // Integer codes of two widths: both as i64. Numbers of two widths or kinds: both as f64.
    if (IsInteger(a.dtype) && IsInteger(b.dtype)) {
      if (a.dtype != DType::kI64) a = AsI64(a);
      if (b.dtype != DType::kI64) b = AsI64(b);
      continue;
    }
    const auto requests = config_.Columns();
    if (j < requests.size() && requests[j].kind == ColumnKind::kCategorical) {
      Add({"UNEXPECTED_DATA_TYPE", Severity::kFail, b.name, path,
           path + ": categorical column \"" + b.name + "\" is stored as " + DTypeName(b.dtype) +
               ", the run's earlier partitions as " + DTypeName(a.dtype),
           DTypeName(b.dtype), DTypeName(a.dtype)});
      return false;
    }
    if (a.dtype != DType::kF64) a = AsF64(a);
    if (b.dtype != DType::kF64) b = AsF64(b);
  }
  return true;
}

RunTables DataGate::Read(std::vector<InputFile>* inputs, const std::vector<bool>& fresh,
                         bool need_label) {
  RunTables out;
  bool first[2] = {true, true};
  for (size_t k = 0; k < inputs->size(); ++k) {
    InputFile& in = (*inputs)[k];
    nlohmann::json part = {
        {"path", in.path}, {"role", in.role}, {"fresh", fresh[k]}, {"rows", nullptr}};
    std::vector<StoredColumn> stored;
    try {
      stored = PartitionColumns(in.path, config_.data.hdf5_group);
    } catch (const DataError& e) {
      Add({"PARTITION_UNREADABLE", Severity::kFail, "", in.path, e.what(), nullptr, nullptr});
      partitions_.push_back(part);
      continue;
    }
    if (k == 0 && !need_label) {
      have_label_ = std::any_of(stored.begin(), stored.end(), [&](const StoredColumn& s) {
        return s.name == config_.data.label;
      });
    }
    bool readable = true;
    CheckStructure(in, stored, &readable);
    if (!readable) {
      partitions_.push_back(part);
      continue;
    }
    std::vector<ColumnRequest> columns;
    for (const auto& req : config_.Columns()) {
      const bool present = std::any_of(stored.begin(), stored.end(),
                                       [&](const StoredColumn& s) { return s.name == req.name; });
      if (present) columns.push_back(req);
    }
    Table t;
    try {
      t = ReadPartition(in.path, columns, config_.data.hdf5_group);
    } catch (const DataError& e) {
      Add({"PARTITION_UNREADABLE", Severity::kFail, "", in.path, e.what(), nullptr, nullptr});
      partitions_.push_back(part);
      continue;
    }
    // An optional column the partition lacks is read as missing in every row, so that every
    // partition of a role has the same columns.
    if (t.columns.size() < config_.Columns().size()) {
      Table full;
      for (const auto& req : config_.Columns()) {
        if (const Column* c = t.Find(req.name)) {
          full.columns.push_back(*c);
        } else if (req.name != config_.data.label || have_label_) {
          const ColumnSchema* cs = schema_.Find(req.name);
          const int64_t n = t.rows();
          if (req.kind == ColumnKind::kNumeric && !(cs && cs->dtype == "string")) {
            full.columns.push_back(NumericColumn(req.name, DType::kF64,
                                                 std::vector<double>(static_cast<size_t>(n), NAN)));
          } else {
            full.columns.push_back(StringColumn(req.name,
                                                std::vector<std::string>(static_cast<size_t>(n)),
                                                std::vector<uint8_t>(static_cast<size_t>(n), 0)));
          }
        }
      }
      t = std::move(full);
    }
    in.rows = t.rows();
    part["rows"] = in.rows;
    partitions_.push_back(part);
    spdlog::info("read {} ({} rows, {})", Base(in.path), in.rows, in.role);
    CheckPartitionValues(t, in);
    const int side = in.role == "train" ? 0 : 1;
    Table& dst = side == 0 ? out.train : out.eval;
    if (!first[side] && !Unify(&dst, &t, in.path)) continue;
    // The tables grow by whole partitions: room for the rest of them (about the first one's
    // size each) is reserved up front, so that they are copied once, not again at each growth.
    if (fresh[k]) {
      if (fresh_.columns.empty()) {
        fresh_ = t;
        fresh_.ReserveRows(t.rows() * std::count(fresh.begin() + static_cast<std::ptrdiff_t>(k),
                                                 fresh.end(), true));
      } else if (Unify(&fresh_, &t, in.path)) {
        fresh_.Append(t);
      }
    }
    if (first[side]) {
      const auto same_role =
          std::count_if(inputs->begin() + static_cast<std::ptrdiff_t>(k), inputs->end(),
                        [&](const InputFile& other) { return other.role == in.role; });
      dst = std::move(t);
      dst.ReserveRows(dst.rows() * same_role);
      first[side] = false;
    } else {
      dst.Append(t);
    }
  }
  return out;
}

}  // namespace freshet
