// Concept-drift detectors on a stream of numbers (River's drift module, same algorithms, same
// defaults, same detection points on the same input: tests/e2e/drift_detectors_test.sh):
//   ADWIN        Bifet & Gavaldà 2007, exponential histograms; river.drift.ADWIN
//   PageHinkley  Page 1954; river.drift.PageHinkley
//   DDM          Gama et al. 2004, on a 0/1 error stream; river.drift.binary.DDM
// Each keeps its whole state in plain numbers, saved and restored exactly (a resumed stream
// signals where an uninterrupted one does).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "freshet/online_spec.hpp"

namespace freshet {

class DriftDetector {
 public:
  virtual ~DriftDetector() = default;
  // Adds one value. Returns true when drift is detected at this value (River's drift_detected
  // after update(x)). DDM also reports a warning zone through warning().
  virtual bool Update(double x) = 0;
  virtual bool warning() const { return false; }
  // River's class name: "ADWIN", "PageHinkley", "DDM".
  virtual std::string Name() const = 0;
  // The state as JSON. A finite double is written as the shortest text that reads back to the
  // same double (exact), a non-finite one as the string "inf", "-inf" or "nan"; Restore of
  // Save's output gives a detector whose future signals equal this one's. Restore throws
  // ArtifactError, naming what is wrong, for a state that is malformed, saved by another kind
  // of detector or saved under other parameters; the detector is then unchanged.
  virtual nlohmann::json Save() const = 0;
  virtual void Restore(const nlohmann::json& state) = 0;
  // A short description of the current state for logs (ADWIN: window width and mean, ...).
  virtual std::string Describe() const = 0;
};

// A detector built from its spec (kind adwin | page_hinkley | ddm). Throws ConfigError for an
// unknown kind.
std::unique_ptr<DriftDetector> MakeDriftDetector(const DetectorSpec& spec);

}  // namespace freshet
