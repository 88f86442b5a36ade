// A second thread for one half of each training step: the written-out MLP step splits every batch
// into two halves (train/batch_step.h), and where a second core is free this thread computes the
// second half while the calling thread computes the first. Posting a job and waiting for it cost
// well under a microsecond while the steps come back to back: the thread spins for the next job a
// while (about a step's time) before it sleeps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace freshet {

class LaneThread {
 public:
  // Starts the thread, which runs `init` first (the session gives it one intra-op thread).
  explicit LaneThread(const std::function<void()>& init);
  // Stops and joins the thread. REQUIRES: no job posted and not waited for.
  ~LaneThread();
  LaneThread(const LaneThread&) = delete;
  LaneThread& operator=(const LaneThread&) = delete;

  // Runs `job` on the thread and returns at once; `job` must outlive the Wait that follows.
  // REQUIRES: every earlier job waited for.
  void Post(const std::function<void()>& job);
  // Waits for the posted job; rethrows what it threw.
  void Wait();

 private:
  void Loop(const std::function<void()>& init);

  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<uint64_t> posted_{0};  // jobs posted
  std::atomic<uint64_t> done_{0};    // jobs finished
  std::atomic<bool> stop_{false};
  const std::function<void()>* job_ = nullptr;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace freshet
