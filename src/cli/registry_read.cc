// freshet registry list | show | diff | history | runs: read the registry without any lock.
#include <cstdio>
#include <memory>

#include "cli/registry_cli.h"
#include "cli/verbs.h"
#include "freshet/log.hpp"
#include "freshet/registry_report.hpp"

namespace freshet::cli {
namespace {

struct ReadArgs {
  RegistryLocation where;
  std::string model, a, b, channel;
  int64_t limit = 20;
  bool json = false;
};

std::string MetricsLine(const nlohmann::json& m) {
  std::string out;
  for (const auto& [k, v] : m.items()) {
    out += (out.empty() ? "" : ", ") + k + " " +
           (v.is_number() ? Format("%.4f", v.get<double>()) : "-");
  }
  return out.empty() ? "-" : out;
}

std::string Join(const nlohmann::json& list) {
  std::string out;
  for (const auto& x : list) out += (out.empty() ? "" : ",") + x.get<std::string>();
  return out.empty() ? "-" : out;
}

void List(const ReadArgs& a) {
  const Registry r = a.where.Open(Registry::Mode::kReadOnly);
  if (a.model.empty()) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : r.Models()) {
      const auto champion = r.Holder(m, "champion");
      const auto runs = r.Runs(m, 1);
      models.push_back({{"model", m},
                        {"versions", r.Versions(m).size()},
                        {"champion", champion ? nlohmann::json(champion->name) : nlohmann::json()},
                        {"last_run", runs.empty() ? nlohmann::json() : RunJson(runs.front())}});
    }
    if (a.json) return PrintJson(models);
    std::printf("%-24s %8s  %-9s %s\n", "MODEL", "VERSIONS", "CHAMPION", "LAST RUN");
    for (const auto& m : models) {
      const auto& run = m["last_run"];
      std::printf("%-24s %8d  %-9s %s\n", m["model"].get<std::string>().c_str(),
                  m["versions"].get<int>(), Or(m["champion"]).c_str(),
                  run.is_null() ? "-"
                                : (Or(run["started"]) + " exit " + Or(run["exit_code"], "(none)") +
                                   ": " + Or(run["reason"]))
                                      .c_str());
    }
    return;
  }
  r.RequireModel(a.model);
  nlohmann::json versions = nlohmann::json::array();
  for (const auto& v : r.Versions(a.model)) versions.push_back(VersionJson(r, v));
  if (a.json) return PrintJson(versions);
  std::printf("%-8s %-20s %-20s %-6s %s\n", "VERSION", "CREATED", "CHANNELS", "PINNED", "METRICS");
  for (const auto& v : versions) {
    std::printf("%-8s %-20s %-20s %-6s %s\n", v["version"].get<std::string>().c_str(),
                v["created"].get<std::string>().c_str(), Join(v["channels"]).c_str(),
                v["pinned"].get<bool>() ? "yes" : "no",
                MetricsLine(v["metrics"].value("model", nlohmann::json::object())).c_str());
  }
}

void Show(const ReadArgs& a) {
  const Registry r = a.where.Open(Registry::Mode::kReadOnly);
  const VersionInfo v = r.Resolve(a.model, a.a);
  const nlohmann::json j = VersionJson(r, v, /*manifest=*/true);
  if (a.json) return PrintJson(j);
  const nlohmann::json& m = j["manifest"];
  std::printf("%s %s  %s\n", v.model.c_str(), v.name.c_str(), v.path.c_str());
  std::printf("  created     %s\n", v.created.c_str());
  std::printf("  channels    %s\n", Join(j["channels"]).c_str());
  std::printf("  parent      %s (warm start from %s)\n", Or(j["parent"]).c_str(),
              Or(j["warm_start"], "none").c_str());
  std::printf("  pinned      %s\n", v.pinned ? ("yes: " + v.pin_reason).c_str() : "no");
  std::printf("  config      %s (sha256 %s)\n", Or(m["config"]["model_spec"]["kind"]).c_str(),
              v.config_hash.substr(0, 16).c_str());
  std::printf("  runtime     freshet %s, torch %s, cuda %s, device %s\n",
              Or(m["code_version"]).c_str(), Or(m["runtime"]["torch"]).c_str(),
              Or(m["runtime"]["cuda"]).c_str(), Or(m["device"]).c_str());
  for (const auto& [subject, values] : j["metrics"].items()) {
    std::printf("  %-11s %s\n", subject.c_str(), MetricsLine(values).c_str());
  }
  for (const auto& in : j["inputs"]) {
    std::printf("  input       %-5s %s (%lld rows, sha256 %s)\n",
                in["role"].get<std::string>().c_str(), in["path"].get<std::string>().c_str(),
                static_cast<long long>(in["rows"].get<int64_t>()),
                in["sha256"].get<std::string>().substr(0, 16).c_str());
  }
}

void Diff(const ReadArgs& a) {
  const Registry r = a.where.Open(Registry::Mode::kReadOnly);
  const nlohmann::json d = DiffVersions(r, r.Resolve(a.model, a.a), r.Resolve(a.model, a.b));
  if (a.json) return PrintJson(d);
  const std::string va = d["a"], vb = d["b"];
  std::printf("%s %s -> %s\n", a.model.c_str(), va.c_str(), vb.c_str());
  if (d["config"].empty()) std::printf("  config: identical\n");
  for (const auto& c : d["config"]) {
    std::printf("  config  %s: %s -> %s\n", c["key"].get<std::string>().c_str(),
                c["a"].dump().c_str(), c["b"].dump().c_str());
  }
  for (const auto& m : d["metrics"]) {
    std::printf("  %-8s %s: %s -> %s (%s)\n", m["subject"].get<std::string>().c_str(),
                m["name"].get<std::string>().c_str(), Or(m["a"]).c_str(), Or(m["b"]).c_str(),
                m["delta"].is_null() ? "-" : Format("%+.4f", m["delta"].get<double>()).c_str());
  }
  for (const auto& in : d["inputs"]["only_a"]) {
    std::printf("  input only in %s: %s\n", va.c_str(), in["path"].get<std::string>().c_str());
  }
  for (const auto& in : d["inputs"]["only_b"]) {
    std::printf("  input only in %s: %s\n", vb.c_str(), in["path"].get<std::string>().c_str());
  }
  for (const auto& in : d["inputs"]["changed"]) {
    std::printf("  input changed: %s\n", in["path"].get<std::string>().c_str());
  }
}

void History(const ReadArgs& a) {
  const Registry r = a.where.Open(Registry::Mode::kReadOnly);
  r.RequireModel(a.model);
  if (!a.channel.empty()) CheckName("channel", a.channel);
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : r.History(a.model, a.channel)) events.push_back(EventJson(e));
  if (a.json) return PrintJson(events);
  std::printf("%-20s %-8s %-10s %-8s %-8s %-20s %s\n", "TIME", "KIND", "CHANNEL", "VERSION",
              "PREVIOUS", "BY", "REASON");
  for (const auto& e : events) {
    std::printf("%-20s %-8s %-10s %-8s %-8s %-20s %s\n", Or(e["time"]).c_str(),
                Or(e["kind"]).c_str(), Or(e["channel"]).c_str(), Or(e["version"]).c_str(),
                Or(e["previous"]).c_str(), (Or(e["user"]) + "@" + Or(e["host"])).c_str(),
                Or(e["reason"]).c_str());
  }
}

void Runs(const ReadArgs& a) {
  const Registry r = a.where.Open(Registry::Mode::kReadOnly);
  r.RequireModel(a.model);
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& run : r.Runs(a.model, a.limit)) runs.push_back(RunJson(run));
  if (a.json) return PrintJson(runs);
  std::printf("%-6s %-20s %-20s %-4s %-8s %s\n", "RUN", "STARTED", "ENDED", "EXIT", "VERSION",
              "REASON");
  for (const auto& run : runs) {
    std::printf("%-6lld %-20s %-20s %-4s %-8s %s\n",
                static_cast<long long>(run["id"].get<int64_t>()), Or(run["started"]).c_str(),
                Or(run["ended"], "(" + run["status"].get<std::string>() + ")").c_str(),
                Or(run["exit_code"]).c_str(), Or(run["version"]).c_str(),
                Or(run["reason"]).c_str());
  }
}

CLI::App* Verb(CLI::App* parent, const char* name, const char* help,
               const std::shared_ptr<ReadArgs>& args) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  args->where.AddTo(cmd);
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  return cmd;
}

}  // namespace

void AddRegistryReadVerbs(CLI::App* registry, int* exit_code) {
  auto args = std::make_shared<ReadArgs>();
  const auto run = [args, exit_code](void (*fn)(const ReadArgs&)) {
    return [args, exit_code, fn] {
      fn(*args);
      *exit_code = 0;
    };
  };
  CLI::App* list = Verb(registry, "list", "List the models, or one model's live versions", args);
  list->add_option("model", args->model, "A model: list its versions");
  list->callback(run(List));

  CLI::App* show = Verb(registry, "show",
                        "A version's manifest, metrics, lineage and the channels it holds", args);
  show->add_option("model", args->model, "The model")->required();
  show->add_option("ref", args->a, "latest, a channel, v000012 or 12")->required();
  show->callback(run(Show));

  CLI::App* diff =
      Verb(registry, "diff", "What differs between two versions: config, metrics, inputs", args);
  diff->add_option("model", args->model, "The model")->required();
  diff->add_option("a", args->a, "The first version (latest, a channel, v000012 or 12)")
      ->required();
  diff->add_option("b", args->b, "The second version")->required();
  diff->callback(run(Diff));

  CLI::App* history =
      Verb(registry, "history", "Every publish, promotion, rollback, pin and gc of a model", args);
  history->add_option("model", args->model, "The model")->required();
  history->add_option("--channel", args->channel, "Only this channel's moves");
  history->callback(run(History));

  CLI::App* runs = Verb(registry, "runs",
                        "The model's runs, newest first: start, end, exit code and reason", args);
  runs->add_option("model", args->model, "The model")->required();
  runs->add_option("--limit", args->limit, "How many")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  runs->callback(run(Runs));
}

}  // namespace freshet::cli
