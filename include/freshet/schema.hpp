// The schema of a model's data: what every column must look like. Inferred from the first run's
// training rows, written as reviewable YAML beside the model in the registry
// (<registry>/<model>/schema.yaml, and a copy in each version), and edited by people to loosen or
// tighten a rule; later runs are checked against it.
#pragma once

#include <string>
#include <vector>

#include "freshet/io.hpp"
#include "freshet/profile.hpp"
#include "freshet/validate_spec.hpp"

namespace freshet {

inline constexpr const char kSchemaFile[] = "schema.yaml";
inline constexpr const char kSchemaFormat[] = "freshet.schema/1";

struct ColumnSchema {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  std::string dtype;  // as stored when inferred: "f32", "f64", "i32", "i64", "string"
  bool required = true;
  double max_missing_fraction = 0;  // NaN / empty values allowed, as a share of the rows
  bool has_range = false;           // numeric: values expected in [min, max]
  double min = 0, max = 0;
  bool allow_inf = false;
  bool has_domain = false;  // categorical: the values expected
  std::vector<std::string> domain;
};

struct Schema {
  std::string model;
  std::string inferred_from;  // the version whose training rows it was inferred from
  std::string label;
  std::vector<ColumnSchema> columns;  // features' columns, then the label
  // Columns the partitions held that the config does not use (not checked, but not new either).
  std::vector<std::string> other_columns;

  const ColumnSchema* Find(const std::string& name) const;
};

// Infers the schema from a profile of training rows: each column's stored type, required, its
// range (numeric) or domain (categorical, when it has at most domain_max_size values), and a
// missing-fraction bound (0 for a column with no missing values, else the observed share plus
// max(0.05, the share), at most 1).
Schema InferSchema(const Profile& train, const std::string& model, const std::string& version,
                   const std::string& label, const ValidateConfig& options);

// The schema as YAML with a comment per rule, and back. ParseSchema throws ConfigError naming the
// file and the key path for invalid YAML, an unknown key or a wrong type.
std::string SchemaToYaml(const Schema& schema);
Schema ParseSchema(const std::string& text, const std::string& path);

}  // namespace freshet
