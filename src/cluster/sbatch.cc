// The sbatch scripts of a submission, and submitting them.
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/submit.hpp"

namespace freshet {
namespace {

// `s` quoted for sh: single quotes, with ' written as '\''.
std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// #SBATCH lines take no quoting: a path with whitespace would be cut.
void CheckDirective(const std::string& what, const std::string& value) {
  if (value.find_first_of(" \t\n\"'") != std::string::npos) {
    throw ConfigError(what + " \"" + value +
                      "\" holds whitespace or quotes, which #SBATCH lines cannot carry");
  }
}

std::string Header(const SubmitPlan& plan, const SlurmOptions& slurm, const std::string& name,
                   const std::string& output, int64_t nodes, int64_t ranks_per_node) {
  CheckDirective("the submission folder", plan.dir);
  CheckDirective("--partition", slurm.partition);
  CheckDirective("--time", slurm.time);
  std::string s = "#!/bin/bash\n";
  s += "#SBATCH --job-name=freshet-" + plan.model + "-" + name + "\n";
  s += "#SBATCH --output=" + plan.dir + "/logs/" + output + "\n";
  s += "#SBATCH --nodes=" + std::to_string(nodes) + "\n";
  s += "#SBATCH --ntasks-per-node=" + std::to_string(ranks_per_node) + "\n";
  if (!slurm.partition.empty()) s += "#SBATCH --partition=" + slurm.partition + "\n";
  if (!slurm.time.empty()) s += "#SBATCH --time=" + slurm.time + "\n";
  if (slurm.cpus_per_task > 0) {
    s += "#SBATCH --cpus-per-task=" + std::to_string(slurm.cpus_per_task) + "\n";
  }
  return s;
}

}  // namespace

std::string ArrayScript(const SubmitPlan& plan, const SlurmOptions& slurm) {
  std::string s = Header(plan, slurm, SubmitModeName(plan.mode), "task-%a.out", slurm.nodes,
                         slurm.ranks_per_node);
  s += "#SBATCH --array=0-" + std::to_string(plan.tasks.size() - 1) + "\n";
  if (slurm.gpus_per_task > 0) {
    s += "#SBATCH --gpus-per-task=" + std::to_string(slurm.gpus_per_task) + "\n";
  }
  s += "# freshet submission " + plan.id + ": " + std::to_string(plan.tasks.size()) + " " +
       SubmitModeName(plan.mode) + " task(s) of " + plan.config_path + "\n";
  s += "# Task i trains with the config overrides of plan.json's tasks[i] and writes tasks/i/.\n";
  s += "set -euo pipefail\n";
  const bool ranks = slurm.nodes * slurm.ranks_per_node > 1;
  s += std::string(ranks ? "exec srun --mpi=pmix " : "exec ") + ShellQuote(slurm.freshet) +
       " trial --plan " + ShellQuote(plan.dir) + " --task \"$SLURM_ARRAY_TASK_ID\"\n";
  return s;
}

std::string AggregateScript(const SubmitPlan& plan, const SlurmOptions& slurm) {
  std::string s = Header(plan, slurm, "aggregate", "aggregate.out", 1, 1);
  s += "# freshet submission " + plan.id +
       ": runs after every array task has ended (afterany), collects their results, picks the\n"
       "# winner, runs the gate and publishes once; refuses to publish when a task failed.\n";
  s += "set -euo pipefail\n";
  s += "exec " + ShellQuote(slurm.freshet) + " aggregate --plan " + ShellQuote(plan.dir) + "\n";
  return s;
}

std::string Sbatch(const std::string& script, const std::vector<std::string>& extra) {
  std::string cmd = "sbatch --parsable";
  for (const auto& a : extra) cmd += " " + ShellQuote(a);
  cmd += " " + ShellQuote(script) + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) throw IoError("sbatch: cannot run it");
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (status != 0) {
    const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (rc == 127) throw IoError("sbatch: not found on PATH (is this a Slurm login node?)");
    throw IoError("sbatch " + script + " failed (exit " + std::to_string(rc) + "): " + out);
  }
  // --parsable prints "jobid" or "jobid;cluster", after any warnings on lines of their own.
  const size_t line = out.find_last_of('\n');
  std::string id = line == std::string::npos ? out : out.substr(line + 1);
  id = id.substr(0, id.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    throw IoError("sbatch " + script + ": unexpected answer \"" + out + "\"");
  }
  return id;
}

}  // namespace freshet
