// Sets FRESHET_THREADS (the CPU loops' thread count) for the scope of a test, then restores it.
#pragma once

#include <cstdlib>
#include <string>

namespace freshet::testing {

class ScopedThreads {
 public:
  explicit ScopedThreads(int threads) {
    if (const char* old = std::getenv("FRESHET_THREADS")) old_ = old, had_ = true;
    setenv("FRESHET_THREADS", std::to_string(threads).c_str(), 1);
  }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;
  ~ScopedThreads() {
    if (had_) {
      setenv("FRESHET_THREADS", old_.c_str(), 1);
    } else {
      unsetenv("FRESHET_THREADS");
    }
  }

 private:
  std::string old_;
  bool had_ = false;
};

}  // namespace freshet::testing
