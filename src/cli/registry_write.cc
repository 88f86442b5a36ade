// freshet registry promote | rollback | pin | unpin | gc | fsck: the registry's changes, each
// recorded as an event with the command line and the reason.
#include <cstdio>
#include <memory>

#include "cli/registry_cli.h"
#include "cli/verbs.h"
#include "freshet/fsck.hpp"
#include "freshet/gate_policy.hpp"
#include "freshet/log.hpp"
#include "freshet/registry_report.hpp"

namespace freshet::cli {
namespace {

struct WriteArgs {
  RegistryLocation where;
  std::string model, ref, channel = "champion", reason;
  int64_t keep_last = -1;
  bool dry_run = false, repair = false, rebuild = false, json = false, force = false;
};

Change ChangeOf(const WriteArgs& a) { return {CommandLine(), a.reason}; }

int Promote(const WriteArgs& a) {
  Registry r = a.where.Open(Registry::Mode::kReadWrite);
  CheckName("channel", a.channel);
  const VersionInfo v = r.Resolve(a.model, a.ref);
  const std::string blocker = PromotionBlocker(r, v, a.channel);
  Change change = ChangeOf(a);
  if (!blocker.empty()) {
    if (!a.force) {
      std::fprintf(stderr,
                   "%s: not moving %s to %s: %s (--force --reason TEXT overrides, recorded as "
                   "forced)\n",
                   a.model.c_str(), a.channel.c_str(), v.name.c_str(), blocker.c_str());
      return kExitGateKept;
    }
    change.reason = "FORCED past the gate (" + blocker + "): " + a.reason;
  } else if (a.force) {
    change.reason = "forced (nothing to override): " + a.reason;
  }
  const auto e = r.Promote(a.model, v.name, a.channel, change);
  if (!e) {
    std::printf("%s: %s already holds %s; nothing changed\n", a.model.c_str(), a.channel.c_str(),
                r.Resolve(a.model, a.ref).name.c_str());
    return 0;
  }
  std::printf("%s: %s now holds %s (was %s)\n", a.model.c_str(), a.channel.c_str(),
              VersionName(*e->version).c_str(),
              e->previous ? VersionName(*e->previous).c_str() : "none");
  return 0;
}

int Rollback(const WriteArgs& a) {
  Registry r = a.where.Open(Registry::Mode::kReadWrite);
  const Event e = r.Rollback(a.model, a.channel, ChangeOf(a));
  std::printf("%s: %s rolled back to %s (was %s)\n", a.model.c_str(), a.channel.c_str(),
              VersionName(*e.version).c_str(), VersionName(*e.previous).c_str());
  return 0;
}

int Pin(const WriteArgs& a, bool pin) {
  Registry r = a.where.Open(Registry::Mode::kReadWrite);
  pin ? r.Pin(a.model, a.ref, ChangeOf(a)) : r.Unpin(a.model, a.ref, ChangeOf(a));
  std::printf("%s %s %s\n", a.model.c_str(), r.Resolve(a.model, a.ref).name.c_str(),
              pin ? "pinned: gc never removes it" : "unpinned");
  return 0;
}

int Gc(const WriteArgs& a) {
  Registry r = a.where.Open(Registry::Mode::kReadWrite);
  r.RequireModel(a.model);
  ModelWriter w = r.Lock(a.model);
  const GcResult g = w.Gc(a.keep_last, a.dry_run, ChangeOf(a));
  if (a.json) {
    nlohmann::json kept = nlohmann::json::array(), removed = nlohmann::json::array();
    for (const auto& [n, why] : g.kept) kept.push_back({{"version", VersionName(n)}, {"why", why}});
    for (int64_t n : g.removed) removed.push_back(VersionName(n));
    PrintJson({{"dry_run", a.dry_run}, {"removed", removed}, {"kept", kept}});
    return 0;
  }
  for (int64_t n : g.removed) {
    std::printf("%s %s %s\n", a.dry_run ? "would remove" : "removed", a.model.c_str(),
                VersionName(n).c_str());
  }
  for (const auto& [n, why] : g.kept) {
    std::printf("kept    %s %s (%s)\n", a.model.c_str(), VersionName(n).c_str(), why.c_str());
  }
  return 0;
}

int RunFsck(const WriteArgs& a) {
  const FsckMode mode = a.rebuild  ? FsckMode::kRebuild
                        : a.repair ? FsckMode::kRepair
                                   : FsckMode::kCheck;
  const FsckReport rep = Fsck(a.where.Root(), mode, ChangeOf(a));
  if (a.json) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : rep.problems) {
      problems.push_back({{"model", p.model},
                          {"kind", p.kind},
                          {"path", p.path},
                          {"detail", p.detail},
                          {"repaired", p.repaired},
                          {"action", p.action}});
    }
    PrintJson({{"clean", rep.clean()},
               {"models", rep.models},
               {"versions", rep.versions},
               {"artifacts", rep.artifacts},
               {"problems", problems}});
  } else {
    for (const auto& p : rep.problems) {
      std::printf("%-9s %-17s %s: %s%s\n", p.repaired ? "repaired" : "PROBLEM", p.kind.c_str(),
                  p.path.c_str(), p.detail.c_str(),
                  p.action.empty() ? "" : (" -> " + p.action).c_str());
    }
    std::printf("fsck: %lld model(s), %lld version(s), %lld artifact(s) checked: %s\n",
                static_cast<long long>(rep.models), static_cast<long long>(rep.versions),
                static_cast<long long>(rep.artifacts),
                rep.clean() ? "clean" : "problems left (run with --repair)");
  }
  return rep.clean() ? 0 : kExitFailure;
}

}  // namespace

void AddRegistryWriteVerbs(CLI::App* registry, int* exit_code) {
  auto args = std::make_shared<WriteArgs>();
  const auto verb = [&](const char* name, const char* help, int (*fn)(const WriteArgs&)) {
    CLI::App* cmd = registry->add_subcommand(name, help);
    args->where.AddTo(cmd);
    cmd->callback([args, exit_code, fn] { *exit_code = fn(*args); });
    return cmd;
  };
  CLI::App* promote =
      verb("promote",
           "Point a channel at a version (an event: who, when, why). Moving `champion` (or a gate "
           "stage) to a version that did not pass the promotion gate exits 4 unless --force",
           Promote);
  promote->add_option("model", args->model, "The model")->required();
  promote->add_option("ref", args->ref, "latest, a channel, v000012 or 12")->required();
  promote->add_option("--channel", args->channel, "The channel to move")->required();
  promote->add_option("--reason", args->reason, "Why (recorded in the history)")->required();
  promote->add_flag("--force", args->force,
                    "Move the channel even though the version did not pass the promotion gate (or "
                    "a stage it requires); recorded as forced");

  CLI::App* rollback = verb("rollback",
                            "Move a channel back to the version that held it before (each "
                            "rollback undoes one promotion)",
                            Rollback);
  rollback->add_option("model", args->model, "The model")->required();
  rollback->add_option("--channel", args->channel, "The channel")->capture_default_str();
  rollback->add_option("--reason", args->reason, "Why (recorded in the history)");

  for (bool pin : {true, false}) {
    CLI::App* cmd = verb(
        pin ? "pin" : "unpin", pin ? "Keep a version from gc" : "Let gc remove a version again",
        pin ? +[](const WriteArgs& a) { return Pin(a, true); }
            : +[](const WriteArgs& a) { return Pin(a, false); });
    cmd->add_option("model", args->model, "The model")->required();
    cmd->add_option("ref", args->ref, "latest, a channel, v000012 or 12")->required();
    cmd->add_option("--reason", args->reason, "Why (recorded in the history)");
  }

  CLI::App* gc = verb("gc",
                      "Remove old versions; never one a channel holds or would roll back to, a "
                      "pinned one, or the warm-start parent of one of those",
                      Gc);
  gc->add_option("model", args->model, "The model")->required();
  gc->add_option("--keep-last", args->keep_last, "Keep the newest N versions")
      ->required()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  gc->add_flag("--dry-run", args->dry_run, "Say what would be removed; remove nothing");
  gc->add_flag("--json", args->json, "Print JSON");

  CLI::App* fsck = verb("fsck",
                        "Check that the index and the version folders agree and every artifact "
                        "matches its checksum; exit 1 when problems are left",
                        RunFsck);
  auto* repair = fsck->add_flag("--repair", args->repair,
                                "Resolve what is found without losing a committed version");
  fsck->add_flag("--rebuild", args->rebuild,
                 "Build a new index from the version folders (the old one is kept aside)")
      ->excludes(repair);
  fsck->add_flag("--json", args->json, "Print JSON");
}

}  // namespace freshet::cli
