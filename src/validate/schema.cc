// Schema inference from a training profile, and the schema as reviewable YAML.
#include "freshet/schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace freshet {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Shortest form that reads back exactly.
  for (int p = 1; p <= 17; ++p) {
    char s[32];
    std::snprintf(s, sizeof s, "%.*g", p, v);
    if (std::strtod(s, nullptr) == v) return s;
  }
  return buf;
}

// A YAML double-quoted scalar.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

const ColumnSchema* Schema::Find(const std::string& name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Schema InferSchema(const Profile& train, const std::string& model, const std::string& version,
                   const std::string& label, const ValidateConfig& options) {
  Schema s;
  s.model = model;
  s.inferred_from = version;
  s.label = label;
  for (const auto& c : train.columns) {
    ColumnSchema cs;
    cs.name = c.name;
    cs.kind = c.kind;
    cs.dtype = c.dtype;
    const double missing =
        c.rows > 0 ? static_cast<double>(c.missing()) / static_cast<double>(c.rows) : 0.0;
    cs.max_missing_fraction = missing == 0 ? 0.0 : std::min(1.0, missing + std::max(0.05, missing));
    if (c.name == label) cs.max_missing_fraction = 0;
    if (c.kind == ColumnKind::kNumeric) {
      cs.has_range = c.numeric.count > 0;
      cs.min = c.numeric.min;
      cs.max = c.numeric.max;
    } else if (c.categorical.distinct <= options.domain_max_size && c.categorical.other == 0) {
      cs.has_domain = true;
      for (const auto& [v, n] : c.categorical.top) cs.domain.push_back(v);
      std::sort(cs.domain.begin(), cs.domain.end());
    }
    s.columns.push_back(std::move(cs));
  }
  return s;
}

std::string SchemaToYaml(const Schema& s) {
  std::ostringstream o;
  o << "# The schema of model " << s.model << "'s data, checked by the data gate on every run.\n"
    << "# Inferred from the training rows of " << (s.inferred_from.empty() ? "?" : s.inferred_from)
    << ". Edit it to loosen or tighten a rule: the next run checks against\n"
    << "# this file and records the copy it used in its version. Rules per column:\n"
    << "#   required: false            the column may be absent (else SCHEMA_MISSING_COLUMN)\n"
    << "#   max_missing_fraction: 0.1  share of missing values allowed\n"
    << "#                              (else FEATURE_TYPE_LOW_FRACTION_PRESENT, or "
       "FLOAT_TYPE_HAS_NAN at 0)\n"
    << "#   range: [min, max]          numeric values expected (else FLOAT_TYPE_BIG_FLOAT, ...)\n"
    << "#   allow_inf: true            +-Inf allowed (else FLOAT_TYPE_HAS_INF)\n"
    << "#   domain: [a, b]             categories expected (else "
       "ENUM_TYPE_UNEXPECTED_STRING_VALUES)\n"
    << "format: " << kSchemaFormat << "\n"
    << "model: " << Quote(s.model) << "\n"
    << "inferred_from: " << Quote(s.inferred_from) << "\n"
    << "label: " << Quote(s.label) << "\n";
  o << "# Columns the data holds that the config does not use (a column in neither list is\n"
    << "# SCHEMA_NEW_COLUMN).\n"
    << "other_columns: [";
  for (size_t k = 0; k < s.other_columns.size(); ++k) {
    o << (k ? ", " : "") << Quote(s.other_columns[k]);
  }
  o << "]\n"
    << "columns:\n";
  for (const auto& c : s.columns) {
    o << "  " << Quote(c.name) << ":\n"
      << "    type: " << (c.kind == ColumnKind::kNumeric ? "numeric" : "categorical") << "\n"
      << "    dtype: " << c.dtype << "\n"
      << "    required: " << (c.required ? "true" : "false") << "\n"
      << "    max_missing_fraction: " << Num(c.max_missing_fraction) << "\n";
    if (c.kind == ColumnKind::kNumeric) {
      if (c.has_range) o << "    range: [" << Num(c.min) << ", " << Num(c.max) << "]\n";
      o << "    allow_inf: " << (c.allow_inf ? "true" : "false") << "\n";
    } else if (c.has_domain) {
      o << "    domain: [";
      for (size_t k = 0; k < c.domain.size(); ++k) o << (k ? ", " : "") << Quote(c.domain[k]);
      o << "]\n";
    }
  }
  return o.str();
}

}  // namespace freshet
