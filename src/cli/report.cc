// freshet report: a version's report.html rendered again, with the history, shadow runs and
// channel moves as of now (the copy in the version folder is the one of its publish).
#include <cstdio>

#include "cli/registry_cli.h"
#include "cli/verbs.h"
#include "freshet/atomic_file.hpp"
#include "freshet/eval_history.hpp"
#include "freshet/eval_report.hpp"

namespace freshet::cli {
namespace {

struct ReportArgs {
  RegistryLocation where;
  std::string model, ref, out;
  bool json = false;
};

int Report(const ReportArgs& a) {
  const Registry r = a.where.Open(Registry::Mode::kReadOnly);
  CheckName("model", a.model);
  r.RequireModel(a.model);
  const VersionInfo v = r.Resolve(a.model, a.ref);
  const nlohmann::json eval = ReportEval(r, v);
  if (a.json) {
    PrintJson(eval);
    return kExitPublished;
  }
  const std::string out = a.out.empty() ? a.model + "-" + v.name + "-report.html" : a.out;
  WriteFileAtomically(out, RenderReportHtml(eval));
  std::printf("wrote the report of %s %s to %s\n", a.model.c_str(), v.name.c_str(), out.c_str());
  return kExitPublished;
}

}  // namespace

void AddReport(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Render a version's report.html again from its eval.json, with the model's history, its "
      "shadow runs and any forced promotion as of now. Reads the registry without a lock.");
  args->where.AddTo(cmd);
  cmd->add_option("model", args->model, "The model")->required();
  cmd->add_option("ref", args->ref, "latest, a channel, v000012 or 12")->required();
  cmd->add_option("--out", args->out,
                  "Where to write the page (default: MODEL-VERSION-report.html here)");
  cmd->add_flag("--json", args->json, "Print the up-to-date eval.json instead of writing HTML");
  cmd->callback([args, exit_code] { *exit_code = Report(*args); });
}

}  // namespace freshet::cli
