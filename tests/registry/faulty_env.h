// A filesystem seam for tests, after leveldb's fault-injection Env: it counts every step the
// registry takes (each mutating file operation and each index commit) and, at a chosen step, either
// fails it as a full disk would (kError: an IoError; a write leaves half its bytes behind) or
// "crashes" (kCrash: throws SimulatedCrash, after which every mutating operation is silently
// dropped, as if the process were gone, so no destructor can clean up).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "freshet/env.hpp"
#include "freshet/error.hpp"

namespace freshet::testing {

// Thrown at the crash step. Not a freshet::Error, so no library handler mistakes it for one.
struct SimulatedCrash {
  std::string step;
};

class FaultyEnv final : public Env {
 public:
  enum class Mode { kNone, kError, kCrash };

  // Fails step number `step` (1-based) in `mode`; kNone only counts.
  void Arm(Mode mode, int step) {
    mode_ = mode;
    fail_at_ = step;
    steps_ = 0;
    dead_ = false;
    log_.clear();
  }
  int steps() const { return steps_; }
  bool dead() const { return dead_; }
  // The steps taken, in order ("write .../model.pt", "index: publish churn v000002", ...).
  const std::vector<std::string>& log() const { return log_; }

  void WriteFile(const std::string& path, std::string_view data) override {
    if (Skip("write " + path)) return;
    if (Fault("write " + path)) {
      base_->WriteFile(path, data.substr(0, data.size() / 2));
      throw IoError(path + ": write: No space left on device (injected)");
    }
    base_->WriteFile(path, data);
  }
  std::string ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  void CreateDir(const std::string& path) override {
    if (Skip("mkdir " + path)) return;
    if (Fault("mkdir " + path)) throw IoError(path + ": create folder: No space left (injected)");
    base_->CreateDir(path);
  }
  void SyncDir(const std::string& path) override {
    if (Skip("fsync " + path)) return;
    if (Fault("fsync " + path)) throw IoError(path + ": fsync folder: I/O error (injected)");
    base_->SyncDir(path);
  }
  void Rename(const std::string& from, const std::string& to) override {
    if (Skip("rename " + from)) return;
    if (Fault("rename " + from)) throw IoError(from + ": rename: I/O error (injected)");
    base_->Rename(from, to);
  }
  void RemoveAll(const std::string& path) override {
    if (Skip("remove " + path)) return;
    if (Fault("remove " + path)) throw IoError(path + ": remove: I/O error (injected)");
    base_->RemoveAll(path);
  }
  std::vector<std::string> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }
  bool Exists(const std::string& path) override { return base_->Exists(path); }
  bool IsDir(const std::string& path) override { return base_->IsDir(path); }
  void Step(const std::string& what) override {
    if (Skip(what)) throw SimulatedCrash{what};  // a dead process commits nothing
    if (Fault(what)) throw IoError(what + ": disk I/O error (injected)");
  }

 private:
  // True when the process is "dead": the operation is dropped.
  bool Skip(const std::string& what) {
    (void)what;
    return dead_;
  }
  // Counts the step; true when it is the one to fail with an error; throws at the crash step.
  bool Fault(const std::string& what) {
    ++steps_;
    log_.push_back(what);
    if (steps_ != fail_at_ || mode_ == Mode::kNone) return false;
    if (mode_ == Mode::kCrash) {
      dead_ = true;
      throw SimulatedCrash{what};
    }
    return true;
  }

  Env* base_ = Env::Default();
  Mode mode_ = Mode::kNone;
  int fail_at_ = 0;
  int steps_ = 0;
  bool dead_ = false;
  std::vector<std::string> log_;
};

}  // namespace freshet::testing
