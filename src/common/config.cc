#include "freshet/config.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "freshet/error.hpp"

namespace freshet {
namespace {

namespace fs = std::filesystem;

// A YAML node with the key path that reached it. Map readers record which keys they consumed, and
// Finish() rejects the rest, so every unknown key is reported with its full path.
class Node {
 public:
  Node(YAML::Node node, std::string path, const std::string* file)
      : node_(node), path_(std::move(path)), file_(file) {}

  [[noreturn]] void Fail(const std::string& msg) const {
    throw ConfigError(*file_ + ": " + (path_.empty() ? "(top level)" : path_) + ": " + msg);
  }

  std::string Describe() const {
    if (node_.IsNull()) return "null";
    if (node_.IsMap()) return "a mapping";
    if (node_.IsSequence()) return "a list";
    return "\"" + node_.Scalar() + "\"";
  }

  bool IsMap() const { return node_.IsMap(); }
  bool IsScalar() const { return node_.IsScalar(); }
  bool IsSequence() const { return node_.IsSequence(); }

  Node Child(const std::string& key) const {
    return Node(node_[key], path_.empty() ? key : path_ + "." + key, file_);
  }

  // Returns the child `key` of a mapping, or nothing when absent. Marks the key as known.
  bool Has(const std::string& key) {
    RequireMap();
    seen_.insert(key);
    return node_[key].IsDefined() && !node_[key].IsNull();
  }
  Node Get(const std::string& key) {
    if (!Has(key)) Child(key).Fail("required key is missing");
    return Child(key);
  }

  void RequireMap() const {
    if (!node_.IsMap()) Fail("expected a mapping, got " + Describe());
  }

  void Finish() const {
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (!seen_.count(key)) {
        std::string known;
        for (const auto& k : seen_) known += (known.empty() ? "" : ", ") + k;
        Child(key).Fail("unknown key (known keys here: " + known + ")");
      }
    }
  }

  std::string String() const {
    if (!node_.IsScalar()) Fail("expected a string, got " + Describe());
    return node_.Scalar();
  }
  double Number() const {
    if (!node_.IsScalar()) Fail("expected a number, got " + Describe());
    const std::string s = node_.Scalar();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') Fail("expected a number, got \"" + s + "\"");
    return v;
  }
  int64_t Integer(int64_t lo, int64_t hi) const {
    if (!node_.IsScalar()) Fail("expected an integer, got " + Describe());
    const std::string s = node_.Scalar();
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0') Fail("expected an integer, got \"" + s + "\"");
    if (v < lo || v > hi) {
      Fail("expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
           "], got " + s);
    }
    return v;
  }
  bool Bool() const {
    const std::string s = node_.IsScalar() ? node_.Scalar() : "";
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    Fail("expected true or false, got " + Describe());
  }
  std::string OneOf(const std::vector<std::string>& choices) const {
    const std::string s = String();
    for (const auto& c : choices) {
      if (s == c) return s;
    }
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    Fail("expected one of " + list + ", got \"" + s + "\"");
  }
  std::vector<Node> Items() const {
    if (!node_.IsSequence()) Fail("expected a list, got " + Describe());
    std::vector<Node> out;
    for (size_t i = 0; i < node_.size(); ++i) {
      out.emplace_back(node_[i], path_ + "[" + std::to_string(i) + "]", file_);
    }
    return out;
  }
  // For single-key mappings such as `{fill: mean}`: the key.
  std::string OnlyKey() const {
    if (!node_.IsMap() || node_.size() != 1) Fail("expected a one-key mapping, got " + Describe());
    return node_.begin()->first.as<std::string>();
  }
  const std::string& path() const { return path_; }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string* file_;
  std::set<std::string> seen_;
};

std::string Resolve(const std::string& p, const fs::path& base) {
  fs::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal().string();
}

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
    op.Fail("unknown " + std::string(numeric ? "numeric" : "categorical") + " operation \"" +
            name + "\" (expected " +
            (numeric ? "fill, standardize" : "hash") + ")");
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
    f.Fail("categorical column \"" + spec.column + "\" needs an encoding op ({hash: {buckets: N}})");
  }
  return spec;
}

}  // namespace

const char* TaskName(Task task) {
  switch (task) {
    case Task::kBinary: return "binary";
    case Task::kMulticlass: return "multiclass";
    case Task::kRegression: return "regression";
  }
  return "?";
}

std::vector<ColumnRequest> Config::Columns() const {
  std::vector<ColumnRequest> cols;
  for (const auto& f : features) cols.push_back({f.column, f.type});
  cols.push_back({data.label, ColumnKind::kNumeric});
  return cols;
}

Config ParseConfig(const std::string& text, const std::string& path) {
  const std::string file = path;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ": invalid YAML: " + e.what());
  }
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  Config c;
  c.path = fs::absolute(fs::path(path)).lexically_normal().string();
  Node top(root, "", &file);
  top.RequireMap();

  c.model = top.Get("model").String();
  if (c.model.empty() || c.model.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
                             std::string::npos || c.model[0] == '.') {
    top.Child("model").Fail("expected a name of letters, digits, '_', '-' and '.', got \"" +
                            c.model + "\"");
  }
  if (top.Has("task")) {
    const std::string t = top.Get("task").OneOf({"binary"});
    (void)t;
    c.task = Task::kBinary;
  }

  Node data = top.Get("data");
  data.RequireMap();
  c.data.landing = Resolve(data.Get("landing").String(), base);
  if (data.Has("pattern")) c.data.pattern = data.Get("pattern").String();
  if (data.Has("group")) c.data.hdf5_group = data.Get("group").String();
  c.data.label = data.Get("label").String();
  if (data.Has("window")) {
    Node w = data.Get("window");
    w.RequireMap();
    if (w.Has("train")) c.data.train_window = static_cast<int>(w.Get("train").Integer(1, 100000));
    if (w.Has("eval")) c.data.eval_window = static_cast<int>(w.Get("eval").Integer(1, 100000));
    w.Finish();
  }
  data.Finish();

  Node feats = top.Get("features");
  std::set<std::string> names;
  for (Node f : feats.Items()) {
    c.features.push_back(ParseFeature(f));
    if (!names.insert(c.features.back().column).second) {
      f.Fail("column \"" + c.features.back().column + "\" is listed twice");
    }
    if (c.features.back().column == c.data.label) f.Fail("the label column cannot be a feature");
  }
  if (c.features.empty()) feats.Fail("expected at least one feature");

  if (top.Has("model_spec")) {
    Node m = top.Get("model_spec");
    m.RequireMap();
    if (m.Has("kind")) c.model_spec.kind = m.Get("kind").OneOf({"linear", "mlp"});
    if (m.Has("hidden")) {
      c.model_spec.hidden.clear();
      for (Node h : m.Get("hidden").Items()) c.model_spec.hidden.push_back(h.Integer(1, 1 << 20));
    }
    if (m.Has("dropout")) {
      c.model_spec.dropout = m.Get("dropout").Number();
      if (c.model_spec.dropout < 0 || c.model_spec.dropout >= 1) {
        m.Child("dropout").Fail("expected a number in [0, 1)");
      }
    }
    if (m.Has("embedding_dim")) c.model_spec.embedding_dim = m.Get("embedding_dim").Integer(1, 4096);
    m.Finish();
  }

  if (top.Has("train")) {
    Node t = top.Get("train");
    t.RequireMap();
    if (t.Has("epochs")) c.train.epochs = static_cast<int>(t.Get("epochs").Integer(1, 100000));
    if (t.Has("batch_size")) c.train.batch_size = t.Get("batch_size").Integer(1, int64_t{1} << 30);
    if (t.Has("lr")) {
      c.train.lr = t.Get("lr").Number();
      if (!(c.train.lr > 0)) t.Child("lr").Fail("expected a positive number");
    }
    if (t.Has("weight_decay")) c.train.weight_decay = t.Get("weight_decay").Number();
    if (t.Has("optimizer")) c.train.optimizer = t.Get("optimizer").OneOf({"sgd", "adam", "adamw"});
    if (t.Has("seed")) c.train.seed = t.Get("seed").Integer(0, INT64_MAX);
    if (t.Has("warm_start")) c.train.warm_start = t.Get("warm_start").Bool();
    if (t.Has("device")) c.train.device = t.Get("device").String();
    t.Finish();
  }

  c.registry = Resolve("registry", base);
  if (top.Has("registry")) {
    Node r = top.Get("registry");
    r.RequireMap();
    if (r.Has("path")) c.registry = Resolve(r.Get("path").String(), base);
    r.Finish();
  }
  top.Finish();
  return c;
}

Config LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

nlohmann::json ConfigToJson(const Config& c) {
  using nlohmann::json;
  json features = json::array();
  for (const auto& f : c.features) {
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
        case FeatureOp::Kind::kStandardize: ops.push_back("standardize"); break;
        case FeatureOp::Kind::kHash:
          ops.push_back({{"hash", {{"buckets", op.buckets}, {"seed", op.seed}}}});
          break;
      }
    }
    features.push_back({{"column", f.column},
                        {"type", f.type == ColumnKind::kNumeric ? "numeric" : "categorical"},
                        {"ops", ops}});
  }
  return {
      {"model", c.model},
      {"task", TaskName(c.task)},
      {"data",
       {{"landing", c.data.landing},
        {"pattern", c.data.pattern},
        {"group", c.data.hdf5_group},
        {"label", c.data.label},
        {"window", {{"train", c.data.train_window}, {"eval", c.data.eval_window}}}}},
      {"features", features},
      {"model_spec",
       {{"kind", c.model_spec.kind},
        {"hidden", c.model_spec.hidden},
        {"dropout", c.model_spec.dropout},
        {"embedding_dim", c.model_spec.embedding_dim}}},
      {"train",
       {{"epochs", c.train.epochs},
        {"batch_size", c.train.batch_size},
        {"lr", c.train.lr},
        {"weight_decay", c.train.weight_decay},
        {"optimizer", c.train.optimizer},
        {"seed", c.train.seed},
        {"warm_start", c.train.warm_start},
        {"device", c.train.device}}},
      {"registry", {{"path", c.registry}}},
  };
}

std::string ConfigHash(const Config& config) {
  const std::string text = ConfigToJson(config).dump();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace freshet
