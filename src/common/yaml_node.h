// Strict YAML reading for the config parsers: a node that knows its key path, so every error
// names it, and rejects keys nobody asked for. Private to src/common/config*.cc.
#pragma once

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "freshet/error.hpp"

namespace freshet::config_detail {

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
    if (!std::isfinite(v)) Fail("expected a finite number, got \"" + s + "\"");
    return v;
  }
  // A number in [lo, hi] ((lo, hi] when `lo_open`); `what` says what was expected.
  double NumberIn(double lo, double hi, const char* what, bool lo_open = false) const {
    const double v = Number();
    if (!(lo_open ? v > lo : v >= lo) || !(v <= hi)) Fail(std::string("expected ") + what);
    return v;
  }
  int64_t Integer(int64_t lo, int64_t hi) const {
    if (!node_.IsScalar()) Fail("expected an integer, got " + Describe());
    const std::string s = node_.Scalar();
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0') Fail("expected an integer, got \"" + s + "\"");
    if (v < lo || v > hi) {
      Fail("expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
           s);
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
  // The keys of a mapping, in document order; marks them all as known.
  std::vector<std::string> Keys() {
    RequireMap();
    std::vector<std::string> keys;
    for (const auto& kv : node_) {
      keys.push_back(kv.first.as<std::string>());
      seen_.insert(keys.back());
    }
    return keys;
  }
  const std::string& path() const { return path_; }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string* file_;
  std::set<std::string> seen_;
};

}  // namespace freshet::config_detail
