// ADWIN's adaptive window (Bifet & Gavaldà 2007, exponential histograms), the core of the ADWIN
// drift detector (freshet/drift_detectors.hpp). A line-by-line port of River 0.26.1's
// AdaptiveWindowing (rust_src/adwin.rs, which replaced river/drift/adwin_c.pyx): the same
// floating-point operations in the same order, so it cuts the window where River does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace freshet::drift_internal {

// River's ADWIN parameters. REQUIRES: clock >= 1, max_buckets >= 1 (River panics otherwise).
struct AdwinParams {
  double delta = 0.002;
  int64_t clock = 32;
  int64_t max_buckets = 5;
  int64_t min_window_length = 5;
  int64_t grace_period = 10;
};

// One row of the histogram: summaries of 2^row values each, oldest first. `totals[i]` is the sum
// of summary i's values, `variances[i]` the sum of their squared deviations from their mean.
// Between updates a row holds at most max_buckets summaries.
struct AdwinRow {
  std::vector<double> totals;
  std::vector<double> variances;
};

// The whole window: rows[0] holds single values (the newest), the last row the oldest summaries.
// `width` is the number of values in the window, `total` their sum, `variance` the sum of their
// squared deviations from the window's mean; `tick` counts updates (a cut is tried every `clock`).
struct AdwinWindow {
  double total = 0.0;
  double variance = 0.0;
  double width = 0.0;
  int64_t tick = 0;
  std::vector<AdwinRow> rows = std::vector<AdwinRow>(1);
};

// Adds `x` to `window` and, on every clock-th update once the window is wider than grace_period,
// drops the oldest summaries while some cut of the window into an older and a newer part has
// means further apart than ADWIN's bound. Returns true when it dropped any (River's
// AdaptiveWindowing.update). The caller resets the window after a detection, as River's ADWIN
// does on the next update.
bool AdwinUpdate(const AdwinParams& params, AdwinWindow* window, double x);

// What is wrong with a window restored from a saved state (rows missing, a row too long or with
// mismatched lengths, an empty oldest row, a width that is not the rows' sizes), or "" when it
// satisfies the invariants AdwinUpdate relies on.
std::string AdwinCheck(const AdwinParams& params, const AdwinWindow& window);

}  // namespace freshet::drift_internal
