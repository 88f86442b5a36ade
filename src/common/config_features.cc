// The `features:` section of the config.
#include <set>

#include "common/config_sections.h"
#include "freshet/error.hpp"

namespace freshet::config_detail {
namespace {

FeatureOp ParseOp(Node op, ColumnKind type) {
  const std::string name = op.IsScalar() ? op.String() : op.OnlyKey();
  FeatureOp out;
  const bool numeric = type == ColumnKind::kNumeric;
  if (name == "fill" && numeric) {
    out.kind = FeatureOp::Kind::kFill;
    Node arg = op.Child("fill");
    if (arg.IsScalar()) {
      const std::string s = arg.String();
      if (s == "mean") {
        out.fill = FeatureOp::Fill::kMean;
      } else if (s == "median") {
        out.fill = FeatureOp::Fill::kMedian;
      } else {
        out.fill = FeatureOp::Fill::kConstant;
        out.constant = arg.Number();
      }
    } else {
      Node m = arg;
      out.fill = FeatureOp::Fill::kConstant;
      out.constant = m.Get("constant").Number();
      m.Finish();
    }
  } else if (name == "standardize" && numeric) {
    out.kind = FeatureOp::Kind::kStandardize;
    if (!op.IsScalar()) op.Fail("standardize takes no arguments");
  } else if (name == "hash" && !numeric) {
    out.kind = FeatureOp::Kind::kHash;
    Node arg = op.Child("hash");
    arg.RequireMap();
    out.buckets = arg.Get("buckets").Integer(1, int64_t{1} << 40);
    if (arg.Has("seed")) out.seed = arg.Get("seed").Integer(0, INT64_MAX);
    arg.Finish();
  } else {
    op.Fail("unknown " + std::string(numeric ? "numeric" : "categorical") + " operation \"" + name +
            "\" (expected " + (numeric ? "fill, standardize" : "hash") + ")");
  }
  return out;
}

FeatureSpec ParseFeature(Node f) {
  FeatureSpec spec;
  spec.column = f.Get("column").String();
  const std::string type = f.Get("type").OneOf({"numeric", "categorical"});
  spec.type = type == "numeric" ? ColumnKind::kNumeric : ColumnKind::kCategorical;
  if (f.Has("ops")) {
    for (Node op : f.Get("ops").Items()) spec.ops.push_back(ParseOp(op, spec.type));
  }
  f.Finish();
  bool fills = false, hashes = false;
  for (const auto& op : spec.ops) {
    fills |= op.kind == FeatureOp::Kind::kFill;
    hashes |= op.kind == FeatureOp::Kind::kHash;
  }
  if (spec.type == ColumnKind::kNumeric && !fills) {
    // Missing values must become something; mean is what SimpleImputer does by default.
    spec.ops.insert(spec.ops.begin(), FeatureOp{});
  }
  if (spec.type == ColumnKind::kCategorical && !hashes) {
    f.Fail("categorical column \"" + spec.column +
           "\" needs an encoding op ({hash: {buckets: N}})");
  }
  return spec;
}

}  // namespace

std::vector<FeatureSpec> ParseFeatures(Node feats, const std::string& label) {
  std::vector<FeatureSpec> out;
  std::set<std::string> names;
  for (Node f : feats.Items()) {
    out.push_back(ParseFeature(f));
    if (!names.insert(out.back().column).second) {
      f.Fail("column \"" + out.back().column + "\" is listed twice");
    }
    if (out.back().column == label) f.Fail("the label column cannot be a feature");
  }
  if (out.empty()) feats.Fail("expected at least one feature");
  return out;
}

nlohmann::json FeaturesToJson(const std::vector<FeatureSpec>& specs) {
  using nlohmann::json;
  json features = json::array();
  for (const auto& f : specs) {
    json ops = json::array();
    for (const auto& op : f.ops) {
      switch (op.kind) {
        case FeatureOp::Kind::kFill:
          if (op.fill == FeatureOp::Fill::kConstant) {
            ops.push_back({{"fill", {{"constant", op.constant}}}});
          } else {
            ops.push_back({{"fill", op.fill == FeatureOp::Fill::kMean ? "mean" : "median"}});
          }
          break;
        case FeatureOp::Kind::kStandardize:
          ops.push_back("standardize");
          break;
        case FeatureOp::Kind::kHash:
          ops.push_back({{"hash", {{"buckets", op.buckets}, {"seed", op.seed}}}});
          break;
      }
    }
    features.push_back({{"column", f.column},
                        {"type", f.type == ColumnKind::kNumeric ? "numeric" : "categorical"},
                        {"ops", ops}});
  }
  return features;
}

}  // namespace freshet::config_detail
