// Runs one of freshet's drift detectors over a stream of numbers and prints where it signalled,
// for tests/e2e/drift_river.py to compare with River's detectors.
//
//   freshet_drift_tool KIND [key=value ...] < values
//
// KIND is adwin, page_hinkley or ddm. Each key=value sets the DetectorSpec field of that name
// (delta, clock, max_buckets, min_window_length, grace_period, min_instances, threshold, alpha,
// mode, warm_start, warning_threshold, drift_threshold); page_hinkley's delta defaults to 0.005,
// as the config parser sets it. resume_every=N moves the detector through its saved state every N
// values (Save, JSON text, a fresh detector, Restore), to check that a resumed detector signals
// where an uninterrupted one does. stdin holds one number per line (strtod: "inf" and "nan" too).
// Prints {"drifts": [0-based indices], "warnings": [indices], "state": the final Save()}; only DDM
// has warnings.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/drift_detectors.hpp"
#include "freshet/error.hpp"

namespace {

double ParseDouble(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') throw freshet::ConfigError(what + ": not a number: " + text);
  return v;
}

int64_t ParseInt(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') throw freshet::ConfigError(what + ": not an integer: " + text);
  return v;
}

// Sets spec's field `key`; returns false for an unknown key.
bool Set(freshet::DetectorSpec* spec, const std::string& key, const std::string& value) {
  double* doubles[] = {&spec->delta, &spec->threshold, &spec->alpha, &spec->warning_threshold,
                       &spec->drift_threshold};
  const char* double_keys[] = {"delta", "threshold", "alpha", "warning_threshold",
                               "drift_threshold"};
  int64_t* ints[] = {&spec->clock,        &spec->max_buckets,   &spec->min_window_length,
                     &spec->grace_period, &spec->min_instances, &spec->warm_start};
  const char* int_keys[] = {"clock",        "max_buckets",   "min_window_length",
                            "grace_period", "min_instances", "warm_start"};
  for (size_t i = 0; i < std::size(doubles); ++i) {
    if (key == double_keys[i]) {
      *doubles[i] = ParseDouble(value, key);
      return true;
    }
  }
  for (size_t i = 0; i < std::size(ints); ++i) {
    if (key == int_keys[i]) {
      *ints[i] = ParseInt(value, key);
      return true;
    }
  }
  if (key != "mode") return false;
  spec->mode = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: freshet_drift_tool adwin|page_hinkley|ddm [key=value ...] < values\n";
    return 2;
  }
  try {
    freshet::DetectorSpec spec;
    spec.kind = argv[1];
    if (spec.kind == "page_hinkley") spec.delta = 0.005;
    int64_t resume_every = 0;
    for (int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      const size_t eq = arg.find('=');
      const std::string key = arg.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
      if (eq == std::string::npos) throw freshet::ConfigError(arg + ": expected key=value");
      if (key == "resume_every") {
        resume_every = ParseInt(value, key);
      } else if (!Set(&spec, key, value)) {
        throw freshet::ConfigError(key + ": unknown key");
      }
    }
    std::unique_ptr<freshet::DriftDetector> detector = freshet::MakeDriftDetector(spec);
    nlohmann::json drifts = nlohmann::json::array(), warnings = nlohmann::json::array();
    std::string line;
    for (int64_t i = 0; std::getline(std::cin, line); ++i) {
      if (resume_every > 0 && i > 0 && i % resume_every == 0) {
        const std::string text = detector->Save().dump();
        detector = freshet::MakeDriftDetector(spec);
        detector->Restore(nlohmann::json::parse(text));
      }
      if (detector->Update(ParseDouble(line, "line " + std::to_string(i + 1)))) drifts.push_back(i);
      if (detector->warning()) warnings.push_back(i);
    }
    const nlohmann::json out = {
        {"drifts", drifts}, {"warnings", warnings}, {"state", detector->Save()}};
    std::cout << out.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "freshet_drift_tool: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
