// Rank 0's run plan sent to the other ranks (freshet/run_plan.hpp): a stop, partitions without a
// champion, and a champion the other rank's registry does not hold. Ranks are threads over a
// Communicator whose only collective here is a broadcast through shared memory.
#include "freshet/run_plan.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "freshet/error.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

// Two ranks as threads: Broadcast hands rank 0's bytes to rank 1.
struct Mailbox {
  std::mutex m;
  std::condition_variable cv;
  bool sent = false;
  std::string bytes;
};

class PairComm final : public Communicator {
 public:
  PairComm(Mailbox* box, int rank) : box_(box), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return 2; }
  void AllReduceSum(double*, int64_t) override {}
  void AllReduceSum(float*, int64_t) override {}
  int64_t AllReduceMax(int64_t value) override { return value; }
  std::vector<std::string> AllGather(const std::string& mine) override { return {mine}; }
  void Broadcast(std::string* bytes, int root) override {
    std::unique_lock<std::mutex> lock(box_->m);
    if (rank_ == root) {
      box_->bytes = *bytes;
      box_->sent = true;
      box_->cv.notify_all();
    } else {
      box_->cv.wait(lock, [&] { return box_->sent; });
      *bytes = box_->bytes;
    }
  }
  [[noreturn]] void Abort(int code) override { std::_Exit(code); }

 private:
  Mailbox* box_;
  int rank_;
};

// Rank 0 shares `plan`; returns what rank 1 got (its error rethrown).
RunPlan Share(const RunPlan& plan, const std::string& registry_root) {
  Mailbox box;
  RunPlan sent = plan, got;
  std::optional<Registry> follower0, follower1;
  const auto open = [&] { return Registry::Open(registry_root, Registry::Mode::kReadOnly); };
  std::exception_ptr error;
  std::thread rank1([&] {
    try {
      PairComm comm(&box, 1);
      ShareRunPlan(comm, "churn", open, &got, &follower1);
    } catch (...) {
      error = std::current_exception();
    }
  });
  PairComm comm(&box, 0);
  ShareRunPlan(comm, "churn", open, &sent, &follower0);
  rank1.join();
  EXPECT_FALSE(follower0.has_value());  // rank 0 keeps its own registry
  if (error) std::rethrow_exception(error);
  EXPECT_EQ(follower1.has_value(), !plan.stop);
  return got;
}

TEST(RunPlan, AStopReachesEveryRank) {
  testing::TempDir dir;
  RunPlan plan;
  plan.stop = true;
  plan.exit_code = 3;
  plan.reason = "nothing to do: no new partitions";
  const RunPlan got = Share(plan, dir / "registry");
  EXPECT_TRUE(got.stop);
  EXPECT_EQ(got.exit_code, 3);
  EXPECT_EQ(got.reason, plan.reason);
  EXPECT_TRUE(got.inputs.empty());
}

TEST(RunPlan, PartitionsWithoutAChampion) {
  testing::TempDir dir;
  const std::string root = dir / "registry";
  Registry::Open(root, Registry::Mode::kReadWrite);  // rank 0 makes it
  RunPlan plan;
  InputFile in;
  in.path = "/landing/day-0001.h5";
  in.role = "train";
  in.rows = 100;
  plan.inputs = {in};
  const RunPlan got = Share(plan, root);
  EXPECT_FALSE(got.stop);
  ASSERT_EQ(got.inputs.size(), 1u);
  EXPECT_EQ(got.inputs[0].path, in.path);
  EXPECT_EQ(got.inputs[0].role, "train");
  EXPECT_EQ(got.inputs[0].rows, 100);
  EXPECT_FALSE(got.champion.has_value());
}

TEST(RunPlan, AChampionTheRanksRegistryLacksIsAnIoError) {
  testing::TempDir dir;
  const std::string root = dir / "registry";
  Registry::Open(root, Registry::Mode::kReadWrite);
  RunPlan plan;
  VersionInfo v;
  v.number = 7;
  plan.champion = v;
  try {
    Share(plan, root);
    FAIL() << "no IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("rank 1: churn version 7 (rank 0's champion) not found"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace freshet
