// freshet validate: the data gate alone, on a run's partitions or on given files (a new partition
// before a run, logged serving traffic), against the champion's profile or another version's.
// Reads the registry, writes nothing.
#include <sys/stat.h>

#include <cstdio>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/io.hpp"
#include "freshet/registry.hpp"

namespace freshet::cli {
namespace {

struct ValidateArgs {
  std::string config;
  std::vector<std::string> inputs;
  std::string against = "champion";
  bool json = false;
};

std::vector<InputFile> GivenInputs(const std::vector<std::string>& paths) {
  std::vector<InputFile> out;
  for (const auto& p : paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      throw ConfigError("--input: " + p + ": no such file");
    }
    InputFile in;
    in.path = p;
    in.role = "input";
    in.sha256 = Sha256File(p);
    out.push_back(in);
  }
  return out;
}

int Validate(const ValidateArgs& args) {
  const Config config = LoadConfig(args.config);
  const Device device = ResolveDevice(config.train.device);
  std::optional<Registry> registry;
  struct stat st;
  if (::stat((config.registry + "/index.sqlite").c_str(), &st) == 0) {
    registry.emplace(Registry::Open(config.registry, Registry::Mode::kReadOnly));
  }
  const bool known = registry && [&] {
    for (const auto& m : registry->Models()) {
      if (m == config.model) return true;
    }
    return false;
  }();
  std::optional<VersionInfo> reference;
  if (known) {
    if (args.against == "champion") {
      reference = registry->Holder(config.model, "champion");
    } else {
      reference = registry->Resolve(config.model, args.against);
    }
  } else if (args.against != "champion") {
    throw ConfigError("--against " + args.against + ": model \"" + config.model +
                      "\" has no versions in " + config.registry);
  }
  std::vector<InputFile> inputs;
  if (!args.inputs.empty()) {
    inputs = GivenInputs(args.inputs);
  } else {
    std::string why;
    inputs = SelectInputs(config.data.landing, config.data.pattern, config.data.train_window,
                          config.data.eval_window, &why);
    if (inputs.empty()) throw DataError(config.data.landing + ": nothing to validate: " + why);
  }
  GateSetup setup;
  if (known) setup = PrepareGate(*registry, config, reference, inputs);
  if (!args.inputs.empty() || setup.fresh.empty()) setup.fresh.assign(inputs.size(), true);
  DataGate gate(config, std::move(setup.schema), std::move(setup.reference));
  const RunTables tables = gate.Read(&inputs, setup.fresh, /*need_label=*/args.inputs.empty());
  if (gate.status() != Severity::kFail) gate.Check(tables, device);
  if (args.json) {
    std::printf("%s\n", gate.Report().dump(2).c_str());
  } else {
    std::printf("%s\n", gate.Summary().c_str());
  }
  return gate.status() == Severity::kFail ? kExitDataRefused : kExitPublished;
}

}  // namespace

void AddValidate(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Run the data gate alone: schema, anomalies and drift of the run's partitions (or of "
      "--input files, such as logged serving traffic) against the champion's profile. Writes "
      "nothing. Exit 0 pass or warn, 5 fail.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config")->required();
  cmd->add_option("--input", args->inputs,
                  "Files to check (HDF5 or CSV; the label may be absent) instead of the run's "
                  "partitions");
  cmd->add_option("--against", args->against,
                  "The version whose profile the drift checks compare against: champion "
                  "(default), latest, a channel, v000012 or 12");
  cmd->add_flag("--json", args->json, "Print data_report.json instead of the summary");
  cmd->callback([args, exit_code] { *exit_code = Validate(*args); });
}

}  // namespace freshet::cli
