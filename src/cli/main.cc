// freshet: the command-line entry point. The only place that turns errors into exit codes.
#include <cstdio>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <exception>
#include <iostream>
#include <string>

#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/error.hpp"
#include "freshet/log.hpp"

namespace freshet::cli {

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return kExitUsage;
    case ErrorKind::kData:
      return kExitDataRefused;
    case ErrorKind::kLocked:
      return kExitLocked;
    case ErrorKind::kIo:
    case ErrorKind::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

namespace {
std::string g_command_line;
}  // namespace

void SetCommandLine(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const bool quote = a.empty() || a.find_first_of(" \t'\"\\$") != std::string::npos;
    g_command_line += (i ? " " : "") + (quote ? "'" + a + "'" : a);
  }
}

const std::string& CommandLine() { return g_command_line; }

namespace {

// Ends the process once a verb has returned, without static destructors: LibTorch's unregister
// its thousands of operators and free their tables, about 0.2 s of a 2 s retrain. Nothing of
// freshet's is left to do then: each verb closes its files, releases its locks and finalises MPI
// in its own scope. Only the output streams and the log are flushed.
[[noreturn]] void Exit(int code) {
  std::cout.flush();
  std::cerr.flush();
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(code);
}

int Run(int argc, char** argv) {
  CLI::App app{
      "freshet: retrains a model on fresh data, checks it, and publishes a versioned checkpoint.\n"
      "Exit codes: 0 published, 1 failure, 2 usage or config error, 3 nothing to do,\n"
      "4 gate kept the champion, 5 data refused, 6 model locked by another run."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("freshet ") + FRESHET_VERSION);
  std::string log_format = "text";
  bool quiet = false, verbose = false;
  app.add_option("--log-format", log_format, "Log format on stderr: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "Log warnings and errors only");
  app.add_flag("-v,--verbose", verbose, "Log debug detail");
  app.parse_complete_callback([&] {
    freshet::SetupLogging(
        log_format == "json" ? freshet::LogFormat::kJson : freshet::LogFormat::kText, quiet ? -1
                                                                                      : verbose
                                                                                          ? 1
                                                                                          : 0);
  });

  SetCommandLine(argc, argv);
  int exit_code = 0;
  AddSynth(app, &exit_code);
  AddRetrain(app, &exit_code);
  AddPredict(app, &exit_code);
  AddFeatures(app, &exit_code);
  AddValidate(app, &exit_code);
  AddShadow(app, &exit_code);
  AddReport(app, &exit_code);
  AddOnline(app, &exit_code);
  AddSubmit(app, &exit_code);
  AddTrial(app, &exit_code);
  AddAggregate(app, &exit_code);
  AddBacktest(app, &exit_code);
  AddRegistry(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  } catch (const freshet::Error& e) {
    spdlog::error("{}", e.what());
    return freshet::cli::ExitCodeFor(e.kind());
  } catch (const std::exception& e) {
    spdlog::error("unexpected failure: {}", e.what());
    return kExitFailure;
  }
  return exit_code;
}

}  // namespace
}  // namespace freshet::cli

int main(int argc, char** argv) {
  // LibTorch's CPU allocator puts tensors of 2 MB and more on transparent huge pages (where the
  // kernel gives them on request, its default): a training step's gather of rows scattered over
  // the feature store misses the TLB far less. Set while the process has one thread, before
  // LibTorch is loaded; a value in the environment is kept.
  ::setenv("THP_MEM_ALLOC_ENABLE", "1", /*overwrite=*/0);
#if defined(__GLIBC__)
  // glibc gives a block of 128 KB or more (up to 32 MB as its threshold adapts) its own mapping
  // and returns it to the kernel when freed, so the next such block faults in fresh zeroed pages
  // again: a retrain's columns, tables and scratch buffers took ~60 k page faults that way (of
  // ~185 k), and 0.15-0.2 s of system time. Blocks up to 32 MB now come from the heap, and the
  // heap keeps up to 1 GB of freed memory for reuse.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  freshet::cli::Exit(freshet::cli::Run(argc, argv));
}
