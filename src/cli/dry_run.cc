// freshet retrain --dry-run: what a real run would read, check, train and publish, and the exit
// code it would give, with nothing written: the registry is opened read-only (or taken as empty
// when it does not exist yet), no run is recorded, no lock is taken.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/discover.hpp"
#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "freshet/registry.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {
namespace {

// Whether another run holds the model's lock now: a shared lock is tried and released at once
// (held for microseconds, so a real run starting at that instant could see it taken).
bool LockHeld(const std::string& lock) {
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

}  // namespace

int DryRun(const std::string& config_path, bool json) {
  const Config config = LoadConfig(config_path);
  const Device device = ResolveDevice(config.train.device);
  std::optional<Registry> registry;
  try {
    registry.emplace(Registry::Open(config.registry, Registry::Mode::kReadOnly));
  } catch (const ConfigError&) {
    // No registry yet: a first run.
  }
  nlohmann::json plan = {{"model", config.model}, {"config", config.path}, {"dry_run", true}};
  int code = kExitPublished;
  std::string reason;
  const auto finish = [&]() {
    plan["exit_code"] = code;
    plan["reason"] = reason;
    if (json) {
      std::printf("%s\n", plan.dump(2).c_str());
    } else {
      std::printf("dry run of %s: exit %d: %s\n", config.model.c_str(), code, reason.c_str());
    }
    return code;
  };
  const bool known = registry && [&] {
    for (const auto& m : registry->Models()) {
      if (m == config.model) return true;
    }
    return false;
  }();
  if (registry && LockHeld(registry->ModelDir(config.model) + "/.lock")) {
    code = kExitLocked;
    reason = "another run holds the lock of model " + config.model;
    return finish();
  }
  std::vector<InputFile> inputs;
  if (const std::string none = DiscoverInputs(config, registry ? &*registry : nullptr, &inputs);
      !none.empty()) {
    code = kExitNoNewData;
    reason = "nothing to do: " + none;
    return finish();
  }
  std::optional<VersionInfo> champion;
  if (known) champion = registry->Holder(config.model, "champion");
  // Read and check the data as the real run would (nothing is written).
  int64_t train_rows = 0, eval_rows = 0;
  if (config.validate.enabled && registry) {
    GateSetup setup = PrepareGate(*registry, config, champion, inputs);
    DataGate gate(config, std::move(setup.schema), std::move(setup.reference));
    const RunTables tables = gate.Read(&inputs, setup.fresh, true);
    if (gate.status() != Severity::kFail) gate.Check(tables, device);
    plan["data_gate"] = gate.Report();
    train_rows = tables.train.rows();
    eval_rows = tables.eval.rows();
    if (gate.status() == Severity::kFail) {
      code = kExitDataRefused;
      reason = gate.FailureLine();
    }
  } else {
    // A first run infers the schema from these rows: only the partitions' own checks apply.
    const RunTables tables = ReadInputs(config, &inputs);
    train_rows = tables.train.rows();
    eval_rows = tables.eval.rows();
  }
  nlohmann::json files = nlohmann::json::array();
  for (const auto& in : inputs) {
    files.push_back(
        {{"path", in.path}, {"role", in.role}, {"rows", in.rows}, {"sha256", in.sha256}});
  }
  plan["inputs"] = files;
  plan["train"] = {
      {"rows", train_rows},
      {"eval_rows", eval_rows},
      {"model", config.model_spec.kind},
      {"device", device.str()},
      {"warm_start_from",
       champion && config.train.warm_start ? nlohmann::json(champion->name) : nlohmann::json()}};
  plan["champion"] = champion ? nlohmann::json(champion->name) : nlohmann::json();
  if (code == kExitPublished) {
    reason = "would train " + config.model_spec.kind + " on " + std::to_string(train_rows) +
             " rows of " + std::to_string(inputs.size() - config.data.eval_window) +
             " partition(s), evaluate on " + std::to_string(eval_rows) +
             " rows, and publish a new version; " +
             (champion ? "the gate then decides against the champion " + champion->name +
                             " (exit 0 promoted, 4 kept)"
                       : std::string("a first version (exit 0)"));
  }
  if (!json) {
    for (const auto& in : inputs) {
      std::printf("would read %-5s %s (%lld rows, sha256 %.12s)\n", in.role.c_str(),
                  in.path.c_str(), static_cast<long long>(in.rows), in.sha256.c_str());
    }
  }
  return finish();
}

}  // namespace freshet::cli
