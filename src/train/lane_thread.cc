#include "train/lane_thread.h"

namespace freshet {
namespace {

// Polls for the next job before sleeping: about 100 us, a fraction of a step, so that the thread
// is awake for the next step but gives its core back soon at an epoch's end.
constexpr int kSpins = 4000;

inline void Pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

LaneThread::LaneThread(const std::function<void()>& init) : thread_([this, init] { Loop(init); }) {}

LaneThread::~LaneThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_one();
  thread_.join();
}

void LaneThread::Post(const std::function<void()>& job) {
  job_ = &job;
  {
    // Under the lock, so that a thread about to sleep sees the job or the notification.
    std::lock_guard<std::mutex> lock(mu_);
    posted_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_one();
}

void LaneThread::Wait() {
  const uint64_t target = posted_.load(std::memory_order_relaxed);
  while (done_.load(std::memory_order_acquire) != target) Pause();
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

void LaneThread::Loop(const std::function<void()>& init) {
  init();
  uint64_t seen = 0;
  for (;;) {
    for (int i = 0; i < kSpins && posted_.load(std::memory_order_acquire) == seen &&
                    !stop_.load(std::memory_order_acquire);
         ++i) {
      Pause();
    }
    if (posted_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] {
        return stop_.load(std::memory_order_acquire) ||
               posted_.load(std::memory_order_acquire) != seen;
      });
    }
    if (posted_.load(std::memory_order_acquire) == seen) return;  // stopped
    ++seen;
    try {
      (*job_)();
    } catch (...) {
      error_ = std::current_exception();
    }
    done_.store(seen, std::memory_order_release);
  }
}

}  // namespace freshet
