// A minimal parallel-for over std::thread for the CPU halves of the kernels. Not OpenMP: LibTorch
// ships its own libgomp, and two OpenMP runtimes in one process fight over threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace freshet::kernels {

// The number of threads ParallelFor uses: the environment variable FRESHET_THREADS when it is a
// positive integer, else std::thread::hardware_concurrency() (at least 1). Read on every call.
inline int ParallelThreads() {
  if (const char* env = std::getenv("FRESHET_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0) return static_cast<int>(std::min(v, 1024L));
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls fn(begin, end) on disjoint, contiguous ranges that together cover [0, n) exactly once,
// using at most `threads` threads (the caller's thread included) and giving each at least
// `min_chunk` indices; so n < 2 * min_chunk (or threads <= 1) runs fn(0, n) inline on the caller's
// thread. Nothing is called when n <= 0. Blocks until every range is done. If fn throws, the first
// exception (in range order) is rethrown after all threads have joined. fn must be safe to call
// concurrently on disjoint ranges.
template <typename Fn>
void ParallelForThreads(int64_t n, int64_t min_chunk, int threads, Fn&& fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(min_chunk, 1);
  const int64_t max_parts = std::max<int64_t>(n / min_chunk, 1);
  const int parts = static_cast<int>(std::min<int64_t>(std::max(threads, 1), max_parts));
  if (parts <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> errors(parts);
  auto run = [&](int part) {
    const int64_t begin = n * part / parts;
    const int64_t end = n * (part + 1) / parts;
    try {
      fn(begin, end);
    } catch (...) {
      errors[part] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  workers.reserve(parts - 1);
  int next = 1;
  try {
    for (; next < parts; ++next) workers.emplace_back(run, next);
  } catch (const std::system_error&) {
    // Out of threads: the caller's thread takes the ranges that found no worker.
  }
  run(0);
  for (int part = next; part < parts; ++part) run(part);
  for (auto& w : workers) w.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

// ParallelForThreads with ParallelThreads() threads.
template <typename Fn>
void ParallelFor(int64_t n, int64_t min_chunk, Fn&& fn) {
  ParallelForThreads(n, min_chunk, ParallelThreads(), std::forward<Fn>(fn));
}

}  // namespace freshet::kernels
