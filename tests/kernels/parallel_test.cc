#include "kernels/parallel.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace freshet::kernels {
namespace {

// Runs ParallelForThreads and checks that every index in [0, n) was visited exactly once, through
// ranges that respect min_chunk (except when n itself is smaller).
void ExpectCoversOnce(int64_t n, int64_t min_chunk, int threads) {
  std::vector<std::atomic<int>> seen(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::atomic<int> calls{0};
  std::atomic<bool> bad_range{false};
  ParallelForThreads(n, min_chunk, threads, [&](int64_t begin, int64_t end) {
    ++calls;
    if (begin >= end || end - begin < std::min(n, std::max<int64_t>(min_chunk, 1))) {
      bad_range = true;
    }
    for (int64_t i = begin; i < end; ++i) ++seen[static_cast<size_t>(i)];
  });
  EXPECT_FALSE(bad_range) << "n " << n << " min_chunk " << min_chunk << " threads " << threads;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(seen[static_cast<size_t>(i)], 1) << "index " << i << " of " << n;
  }
  EXPECT_LE(calls, std::max(threads, 1));
  if (n <= 0) {
    EXPECT_EQ(calls, 0);
  }
}

TEST(ParallelFor, CoversEveryIndexExactlyOnce) {
  for (int64_t n : {0, 1, 2, 7, 100, 1000, 1023, 65537}) {
    for (int64_t min_chunk : {0, 1, 3, 64, 1000}) {
      for (int threads : {0, 1, 2, 3, 8, 17}) ExpectCoversOnce(n, min_chunk, threads);
    }
  }
}

TEST(ParallelFor, RunsInlineBelowMinChunk) {
  const auto caller = std::this_thread::get_id();
  int calls = 0;
  ParallelForThreads(100, 100, 8, [&](int64_t begin, int64_t end) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 100);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

TEST(ParallelFor, UsesSeveralThreadsForLargeN) {
  std::mutex mu;
  std::vector<std::thread::id> ids;
  ParallelForThreads(4000, 1000, 4, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(mu);
    ids.push_back(std::this_thread::get_id());
  });
  ASSERT_EQ(ids.size(), 4u);
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t j = i + 1; j < ids.size(); ++j) EXPECT_NE(ids[i], ids[j]);
  }
}

TEST(ParallelFor, RethrowsAfterJoining) {
  std::atomic<int64_t> done{0};
  EXPECT_THROW(ParallelForThreads(1000, 10, 4,
                                  [&](int64_t begin, int64_t end) {
                                    if (begin == 0) throw std::runtime_error("boom");
                                    done += end - begin;
                                  }),
               std::runtime_error);
  EXPECT_EQ(done, 750);  // the other three ranges still ran to completion
}

TEST(ParallelFor, ThreadsFromEnvironment) {
  const char* old = std::getenv("FRESHET_THREADS");
  const std::string saved = old ? old : "";
  setenv("FRESHET_THREADS", "3", 1);
  EXPECT_EQ(ParallelThreads(), 3);
  setenv("FRESHET_THREADS", "zero", 1);
  EXPECT_GE(ParallelThreads(), 1);
  setenv("FRESHET_THREADS", "-2", 1);
  EXPECT_GE(ParallelThreads(), 1);
  setenv("FRESHET_THREADS", "2", 1);
  std::vector<std::atomic<int>> seen(10007);
  ParallelFor(10007, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) ++seen[static_cast<size_t>(i)];
  });
  for (auto& s : seen) ASSERT_EQ(s, 1);
  if (old) {
    setenv("FRESHET_THREADS", saved.c_str(), 1);
  } else {
    unsetenv("FRESHET_THREADS");
  }
}

}  // namespace
}  // namespace freshet::kernels
