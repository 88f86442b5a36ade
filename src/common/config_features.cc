// The `features:` section of the config.
#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "common/config_sections.h"
#include "freshet/error.hpp"
#include "kernels/numeric_ops.h"

namespace freshet::config_detail {
namespace {

using Kind = FeatureOp::Kind;

// The element-wise ops' names, in order: "log1p, sqrt".
std::string PointwiseNames() {
  std::string out;
  for (const auto& op : kernels::kPointwiseOps)
    out += (out.empty() ? "" : ", ") + std::string(op.name);
  return out;
}

const char* OpName(const FeatureOp& op) {
  switch (op.kind) {
    case Kind::kFill:
      return "fill";
    case Kind::kIndicator:
      return "indicator";
    case Kind::kClip:
      return "clip";
    case Kind::kPointwise:
      return kernels::kPointwiseOps[op.pointwise].name;
    case Kind::kStandardize:
      return "standardize";
    case Kind::kMinMax:
      return "minmax";
    case Kind::kBucketize:
      return "bucketize";
    case Kind::kHash:
      return "hash";
    case Kind::kVocab:
      return "vocab";
  }
  return "?";
}

void NoArgs(Node op, const char* name) {
  if (!op.IsScalar()) op.Fail(std::string(name) + " takes no arguments");
}

FeatureOp ParseFill(Node arg) {
  FeatureOp out;
  out.kind = Kind::kFill;
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
    out.fill = FeatureOp::Fill::kConstant;
    out.constant = arg.Get("constant").Number();
    arg.Finish();
  }
  if (!std::isfinite(out.constant)) arg.Fail("expected a finite fill value");
  return out;
}

FeatureOp ParseClip(Node arg) {
  FeatureOp out;
  out.kind = Kind::kClip;
  const auto items = arg.Items();
  if (items.size() != 2) arg.Fail("expected [lo, hi] (null for no bound)");
  if (items[0].IsScalar() && items[0].String() != "null") out.lo = items[0].Number();
  if (items[1].IsScalar() && items[1].String() != "null") out.hi = items[1].Number();
  if (!(out.lo <= out.hi)) arg.Fail("expected lo <= hi");
  return out;
}

FeatureOp ParseBucketize(Node arg) {
  FeatureOp out;
  out.kind = Kind::kBucketize;
  arg.RequireMap();
  const bool explicit_bounds = arg.Has("boundaries");
  const bool quantiles = arg.Has("quantiles");
  if (explicit_bounds == quantiles) arg.Fail("expected exactly one of boundaries or quantiles");
  if (explicit_bounds) {
    for (Node b : arg.Get("boundaries").Items()) out.boundaries.push_back(b.Number());
    if (out.boundaries.empty()) arg.Child("boundaries").Fail("expected at least one boundary");
    for (size_t i = 1; i < out.boundaries.size(); ++i) {
      if (!(out.boundaries[i - 1] < out.boundaries[i])) {
        arg.Child("boundaries").Fail("expected strictly increasing boundaries");
      }
    }
  } else {
    out.quantiles = arg.Get("quantiles").Integer(2, 100000);
  }
  arg.Finish();
  return out;
}

FeatureOp ParseHash(Node arg) {
  FeatureOp out;
  out.kind = Kind::kHash;
  arg.RequireMap();
  out.buckets = arg.Get("buckets").Integer(1, int64_t{1} << 40);
  if (arg.Has("seed")) out.seed = arg.Get("seed").Integer(0, INT64_MAX);
  arg.Finish();
  return out;
}

FeatureOp ParseVocab(Node arg) {
  FeatureOp out;
  out.kind = Kind::kVocab;
  if (arg.IsScalar() && arg.String() == "vocab") return out;  // `- vocab`: the defaults
  if (arg.IsMap()) {
    if (arg.Has("min_count")) out.min_count = arg.Get("min_count").Integer(1, INT64_MAX);
    if (arg.Has("max_size")) out.max_size = arg.Get("max_size").Integer(1, int64_t{1} << 40);
    arg.Finish();
  } else {
    arg.Fail("expected a mapping {min_count, max_size}");
  }
  return out;
}

FeatureOp ParseOp(Node op, const FeatureSpec& spec) {
  const bool numeric = spec.type == ColumnKind::kNumeric;
  const std::string name = op.IsScalar() ? op.String() : op.OnlyKey();
  Node arg = op.IsScalar() ? op : op.Child(name);
  if (numeric && !spec.is_cross()) {
    if (name == "fill") return ParseFill(arg);
    if (name == "clip") return ParseClip(arg);
    if (name == "bucketize") return ParseBucketize(arg);
    FeatureOp out;
    if (name == "indicator") {
      out.kind = Kind::kIndicator;
    } else if (name == "standardize") {
      out.kind = Kind::kStandardize;
    } else if (name == "minmax") {
      out.kind = Kind::kMinMax;
    } else if ((out.pointwise = kernels::PointwiseByName(name.c_str())) >= 0) {
      out.kind = Kind::kPointwise;
    } else {
      op.Fail("unknown numeric operation \"" + name + "\" (expected fill, indicator, clip, " +
              PointwiseNames() + ", standardize, minmax, bucketize)");
    }
    NoArgs(op, name.c_str());
    return out;
  }
  if (name == "hash") return ParseHash(arg);
  if (name == "vocab" && !spec.is_cross()) return ParseVocab(arg);
  op.Fail("unknown " + std::string(spec.is_cross() ? "cross" : "categorical") + " operation \"" +
          name + "\" (expected " + (spec.is_cross() ? "hash" : "hash or vocab") + ")");
}

// Checks the order and the combination of a column's ops, and adds the implied default fill.
void CheckOps(Node f, FeatureSpec* spec) {
  auto& ops = spec->ops;
  if (spec->type == ColumnKind::kCategorical) {
    if (ops.size() != 1) {
      f.Fail("categorical column \"" + spec->column +
             "\" needs exactly one encoding op ({hash: {buckets: N}} or {vocab: {...}})");
    }
    return;
  }
  const auto has = [&](Kind k) {
    return std::any_of(ops.begin(), ops.end(), [k](const FeatureOp& o) { return o.kind == k; });
  };
  if (has(Kind::kStandardize) && has(Kind::kMinMax)) {
    f.Child("ops").Fail("standardize and minmax cannot both apply");
  }
  // The element-wise ops order among themselves as kernels/numeric_ops.h lists them.
  const auto rank = [](const FeatureOp& o) { return std::make_pair(o.kind, o.pointwise); };
  for (size_t i = 1; i < ops.size(); ++i) {
    if (rank(ops[i]) == rank(ops[i - 1])) {
      f.Child("ops").Fail(std::string(OpName(ops[i])) + " is listed twice");
    }
    if (rank(ops[i]) < rank(ops[i - 1])) {
      f.Child("ops").Fail(std::string(OpName(ops[i])) + " must come before " + OpName(ops[i - 1]) +
                          " (order: fill, indicator, clip, " + PointwiseNames() +
                          ", standardize | minmax, bucketize)");
    }
  }
  // Missing values must become something; mean is what SimpleImputer does by default.
  if (!has(Kind::kFill)) ops.insert(ops.begin(), FeatureOp{});
}

FeatureSpec ParseFeature(Node f) {
  FeatureSpec spec;
  if (f.Has("cross")) {
    for (Node c : f.Get("cross").Items()) spec.cross.push_back(c.String());
    if (spec.cross.size() < 2 || spec.cross.size() > 4) {
      f.Child("cross").Fail("expected 2 to 4 columns to cross");
    }
    spec.type = ColumnKind::kCategorical;
    spec.column = f.Has("name") ? f.Get("name").String() : "";
    if (spec.column.empty()) {
      for (const auto& c : spec.cross) spec.column += (spec.column.empty() ? "" : "_x_") + c;
    }
    if (f.Has("type")) f.Get("type").OneOf({"categorical"});
  } else {
    spec.column = f.Get("column").String();
    const std::string type = f.Get("type").OneOf({"numeric", "categorical"});
    spec.type = type == "numeric" ? ColumnKind::kNumeric : ColumnKind::kCategorical;
  }
  if (f.Has("freeze")) {
    spec.freeze = f.Get("freeze").Bool();
    if (spec.type != ColumnKind::kNumeric) f.Child("freeze").Fail("applies to numeric columns");
  }
  if (f.Has("ops")) {
    for (Node op : f.Get("ops").Items()) spec.ops.push_back(ParseOp(op, spec));
  }
  f.Finish();
  CheckOps(f, &spec);
  return spec;
}

nlohmann::json OpToJson(const FeatureOp& op) {
  using nlohmann::json;
  const auto bound = [](double v) { return std::isfinite(v) ? json(v) : json(); };
  switch (op.kind) {
    case Kind::kFill:
      if (op.fill == FeatureOp::Fill::kConstant) return {{"fill", {{"constant", op.constant}}}};
      return {{"fill", op.fill == FeatureOp::Fill::kMean ? "mean" : "median"}};
    case Kind::kClip:
      return {{"clip", {bound(op.lo), bound(op.hi)}}};
    case Kind::kBucketize:
      if (op.quantiles) return {{"bucketize", {{"quantiles", op.quantiles}}}};
      return {{"bucketize", {{"boundaries", op.boundaries}}}};
    case Kind::kHash:
      return {{"hash", {{"buckets", op.buckets}, {"seed", op.seed}}}};
    case Kind::kVocab:
      return {{"vocab",
               {{"min_count", op.min_count},
                {"max_size", op.max_size > 0 ? json(op.max_size) : json()}}}};
    default:
      return OpName(op);
  }
}

}  // namespace

std::vector<FeatureSpec> ParseFeatures(Node feats, const std::string& label) {
  std::vector<FeatureSpec> out;
  std::set<std::string> names;
  for (Node f : feats.Items()) {
    out.push_back(ParseFeature(f));
    const FeatureSpec& spec = out.back();
    if (!names.insert(spec.column).second) {
      f.Fail("column \"" + spec.column + "\" is listed twice");
    }
    if (spec.column == label) f.Fail("the label column cannot be a feature");
    for (const auto& c : spec.cross) {
      if (c == label) f.Fail("the label column cannot be crossed");
    }
  }
  if (out.empty()) feats.Fail("expected at least one feature");
  return out;
}

nlohmann::json FeaturesToJson(const std::vector<FeatureSpec>& specs) {
  nlohmann::json features = nlohmann::json::array();
  for (const auto& f : specs) {
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& op : f.ops) ops.push_back(OpToJson(op));
    nlohmann::json entry = {{"ops", ops}};
    if (f.is_cross()) {
      entry["cross"] = f.cross;
      entry["name"] = f.column;
    } else {
      entry["column"] = f.column;
      entry["type"] = f.type == ColumnKind::kNumeric ? "numeric" : "categorical";
    }
    if (f.freeze) entry["freeze"] = true;
    features.push_back(entry);
  }
  return features;
}

}  // namespace freshet::config_detail
