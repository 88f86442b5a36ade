#include <spdlog/spdlog.h>

#include "cli/verbs.h"
#include "freshet/error.hpp"
#include "freshet/synth.hpp"

namespace freshet::cli {

void AddSynth(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<SynthOptions>();
  CLI::App* cmd = app.add_subcommand(
      "synth",
      "Write a synthetic, drifting tabular dataset: one HDF5 partition per day plus truth.json");
  cmd->add_option("--out", opts->out_dir, "Folder to write day-0001.h5, ... and truth.json")
      ->required();
  cmd->add_option("--days", opts->days, "Number of daily partitions")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--rows", opts->rows, "Rows per partition")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 34))
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Random seed")->capture_default_str();
  cmd->add_option("--drift-day", opts->drift_day,
                  "Day (1-based) of an abrupt change in the hidden model and in the distributions "
                  "of income, sessions_7d and country; 0 for none")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->callback([opts, exit_code] {
    if (opts->drift_day > opts->days) {
      throw ConfigError("--drift-day: " + std::to_string(opts->drift_day) +
                        " is after the last day (" + std::to_string(opts->days) + ")");
    }
    WriteSynthetic(*opts);
    spdlog::info("wrote {} partitions of {} rows to {}", opts->days, opts->rows, opts->out_dir);
    *exit_code = kExitPublished;
  });
}

}  // namespace freshet::cli
