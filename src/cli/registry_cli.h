// Shared by the `freshet registry ...` verbs: where the registry is, and how records print.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "freshet/registry.hpp"

namespace freshet::cli {

// --registry DIR, or -c CONFIG (its registry.path); one of them is required.
struct RegistryLocation {
  std::string registry, config;
  // Adds both options to `cmd`.
  void AddTo(CLI::App* cmd);
  // The registry root. Throws ConfigError when neither option was given.
  std::string Root() const;
  Registry Open(Registry::Mode mode) const;
};

// Prints `j` to stdout, pretty, with a newline.
void PrintJson(const nlohmann::json& j);
// "v000003" for a JSON version name, "-" for null.
std::string Or(const nlohmann::json& j, const std::string& none = "-");

void AddRegistryReadVerbs(CLI::App* registry, int* exit_code);
void AddRegistryWriteVerbs(CLI::App* registry, int* exit_code);

}  // namespace freshet::cli
