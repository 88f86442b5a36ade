// freshet registry: the verbs that read and change the registry.
#include <cstdio>

#include "cli/registry_cli.h"
#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/error.hpp"

namespace freshet::cli {

void RegistryLocation::AddTo(CLI::App* cmd) {
  auto* r = cmd->add_option("--registry", registry, "The registry folder");
  cmd->add_option("-c,--config", config, "A model's YAML config: its registry.path")->excludes(r);
}

std::string RegistryLocation::Root() const {
  if (!registry.empty()) return registry;
  if (!config.empty()) return LoadConfig(config).registry;
  throw ConfigError("--registry: give the registry folder (--registry DIR) or a config (-c FILE)");
}

Registry RegistryLocation::Open(Registry::Mode mode) const { return Registry::Open(Root(), mode); }

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

std::string Or(const nlohmann::json& j, const std::string& none) {
  if (j.is_null()) return none;
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

void AddRegistry(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "registry",
      "The registry: versions, channels (champion, fallback, shadow, canary, ...), history, runs, "
      "rollback, gc and fsck.");
  cmd->require_subcommand(1);
  AddRegistryReadVerbs(cmd, exit_code);
  AddRegistryWriteVerbs(cmd, exit_code);
}

}  // namespace freshet::cli
