// The verbs of the freshet command line. Each Add* registers its subcommand on `app`; when the
// subcommand runs, its callback stores the process exit code in *exit_code. Library errors
// propagate as freshet::Error and are turned into exit codes by main().
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "freshet/error.hpp"

namespace freshet::cli {

// Exit codes of DESIGN.md.
enum ExitCode : int {
  kExitPublished = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitNoNewData = 3,
  kExitGateKept = 4,
  kExitDataRefused = 5,
  kExitLocked = 6,
};

// The exit code of a library error.
int ExitCodeFor(ErrorKind kind);

// The process's command line as one string (recorded with registry events and runs).
void SetCommandLine(int argc, char** argv);
const std::string& CommandLine();

void AddSynth(CLI::App& app, int* exit_code);
void AddRetrain(CLI::App& app, int* exit_code);
void AddPredict(CLI::App& app, int* exit_code);
void AddFeatures(CLI::App& app, int* exit_code);
void AddRegistry(CLI::App& app, int* exit_code);
void AddValidate(CLI::App& app, int* exit_code);
void AddShadow(CLI::App& app, int* exit_code);
void AddReport(CLI::App& app, int* exit_code);
void AddOnline(CLI::App& app, int* exit_code);
void AddSubmit(CLI::App& app, int* exit_code);
void AddTrial(CLI::App& app, int* exit_code);
void AddAggregate(CLI::App& app, int* exit_code);
void AddBacktest(CLI::App& app, int* exit_code);

// retrain --dry-run (dry_run.cc): prints the plan (JSON with `json`) and returns the exit code the
// real run would give (0 when it would train and publish: the gate's 4 cannot be foreseen).
int DryRun(const std::string& config, bool json);

}  // namespace freshet::cli
