// Test helpers: feature states built by hand, for the tests that transform with a known state.
#pragma once

#include <string>

#include "freshet/features.hpp"

namespace freshet::testing {

// A standardising numeric state: missing → fill, then (x - mean) * scale.
inline NumericState StandardizedState(const std::string& column, double fill, double mean,
                                      double scale) {
  NumericState s;
  s.column = column;
  s.fill_value = fill;
  s.scaling = "standardize";
  s.shift = mean;
  s.scale = scale;
  s.mean = mean;
  s.stddev = scale == 1.0 ? 0.0 : 1.0 / scale;
  return s;
}

}  // namespace freshet::testing
