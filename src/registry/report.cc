#include <signal.h>

#include <cerrno>
#include <map>

#include "freshet/error.hpp"
#include "freshet/registry_report.hpp"
#include "freshet/run_metrics.hpp"
#include "registry/internal.h"

namespace freshet {
namespace {

nlohmann::json Opt(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(VersionName(*v)) : nlohmann::json();
}

// The leaves of a JSON document by key path ("train.lr", "features[2].column").
void Flatten(const nlohmann::json& j, const std::string& path,
             std::map<std::string, nlohmann::json>* out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) Flatten(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_array() && !j.empty()) {
    for (size_t i = 0; i < j.size(); ++i) Flatten(j[i], path + "[" + std::to_string(i) + "]", out);
  } else {
    (*out)[path] = j;
  }
}

}  // namespace

nlohmann::json InputJson(const InputFile& in) {
  return {{"path", in.path}, {"role", in.role}, {"rows", in.rows}, {"sha256", in.sha256}};
}

nlohmann::json VersionJson(const Registry& registry, const VersionInfo& v, bool manifest) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& in : registry.Inputs(v)) inputs.push_back(InputJson(in));
  nlohmann::json j = {{"model", v.model},
                      {"version", v.name},
                      {"number", v.number},
                      {"path", v.path},
                      {"created", v.created},
                      {"parent", Opt(v.parent)},
                      {"warm_start", Opt(v.warm_start)},
                      {"pinned", v.pinned},
                      {"pin_reason", v.pin_reason},
                      {"channels", v.channels},
                      {"config_hash", v.config_hash},
                      {"metrics", registry.Metrics(v)},
                      {"inputs", inputs}};
  if (manifest) j["manifest"] = registry.Manifest(v);
  return j;
}

nlohmann::json EventJson(const Event& e) {
  return {{"id", e.id},
          {"time", e.time},
          {"model", e.model},
          {"kind", e.kind},
          {"channel", e.channel},
          {"version", Opt(e.version)},
          {"previous", Opt(e.previous)},
          {"user", e.user},
          {"host", e.host},
          {"command", e.command},
          {"reason", e.reason}};
}

// A run without an end is "running" while its process lives on this host, "died" when it does not
// (killed, crashed: the next run continues from the registry as it is), and "unfinished" when it
// ran on another host, where this one cannot tell.
std::string RunState(const RunRecord& r) {
  if (r.exit_code) return RunStatus(*r.exit_code);
  if (r.host != registry_detail::CurrentHost()) return "unfinished";
  const bool alive = r.pid > 0 && (::kill(static_cast<pid_t>(r.pid), 0) == 0 || errno == EPERM);
  return alive ? "running" : "died";
}

nlohmann::json RunJson(const RunRecord& r) {
  return {{"id", r.id},
          {"status", RunState(r)},
          {"model", r.model},
          {"started", r.started},
          {"ended", r.ended.empty() ? nlohmann::json() : nlohmann::json(r.ended)},
          {"exit_code", r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json()},
          {"reason", r.reason},
          {"version", Opt(r.version)},
          {"user", r.user},
          {"host", r.host},
          {"pid", r.pid},
          {"command", r.command},
          {"inputs", r.inputs}};
}

nlohmann::json DiffVersions(const Registry& registry, const VersionInfo& a, const VersionInfo& b) {
  std::map<std::string, nlohmann::json> ca, cb;
  Flatten(registry.Manifest(a).value("config", nlohmann::json::object()), "", &ca);
  Flatten(registry.Manifest(b).value("config", nlohmann::json::object()), "", &cb);
  nlohmann::json config = nlohmann::json::array();
  for (const auto& [k, v] : ca) {
    const auto it = cb.find(k);
    if (it == cb.end()) {
      config.push_back({{"key", k}, {"a", v}, {"b", nullptr}});
    } else if (it->second != v) {
      config.push_back({{"key", k}, {"a", v}, {"b", it->second}});
    }
  }
  for (const auto& [k, v] : cb) {
    if (!ca.count(k)) config.push_back({{"key", k}, {"a", nullptr}, {"b", v}});
  }
  nlohmann::json metrics = nlohmann::json::array();
  const nlohmann::json ma = registry.Metrics(a), mb = registry.Metrics(b);
  for (const auto& [subject, values] : ma.items()) {
    for (const auto& [name, va] : values.items()) {
      const nlohmann::json vb =
          mb.contains(subject) && mb[subject].contains(name) ? mb[subject][name] : nlohmann::json();
      nlohmann::json row = {
          {"subject", subject}, {"name", name}, {"a", va}, {"b", vb}, {"delta", nullptr}};
      if (va.is_number() && vb.is_number()) row["delta"] = vb.get<double>() - va.get<double>();
      metrics.push_back(row);
    }
  }
  for (const auto& [subject, values] : mb.items()) {
    for (const auto& [name, vb] : values.items()) {
      if (ma.contains(subject) && ma[subject].contains(name)) continue;
      metrics.push_back(
          {{"subject", subject}, {"name", name}, {"a", nullptr}, {"b", vb}, {"delta", nullptr}});
    }
  }
  std::map<std::string, InputFile> ia, ib;
  for (const auto& in : registry.Inputs(a)) ia[in.path] = in;
  for (const auto& in : registry.Inputs(b)) ib[in.path] = in;
  nlohmann::json only_a = nlohmann::json::array(), only_b = nlohmann::json::array(),
                 changed = nlohmann::json::array();
  for (const auto& [p, in] : ia) {
    const auto it = ib.find(p);
    if (it == ib.end()) {
      only_a.push_back(InputJson(in));
    } else if (it->second.sha256 != in.sha256 || it->second.role != in.role) {
      changed.push_back({{"path", p}, {"a", InputJson(in)}, {"b", InputJson(it->second)}});
    }
  }
  for (const auto& [p, in] : ib) {
    if (!ia.count(p)) only_b.push_back(InputJson(in));
  }
  return {{"model", a.model},
          {"a", a.name},
          {"b", b.name},
          {"config", config},
          {"metrics", metrics},
          {"inputs", {{"only_a", only_a}, {"only_b", only_b}, {"changed", changed}}}};
}

}  // namespace freshet
