// Data-parallel training without MPI: ranks as threads of one process, over a Communicator that
// exchanges through shared memory, must train the model one session trains alone (up to the
// order of float sums), for mini-batches, weighted rows, early stopping and the full-batch fit.
#include "train/dist_sync.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "train/session.h"
#include "train/train_util.h"

namespace freshet {
namespace {

using testing::Arch;
using testing::MakeStore;
using testing::Options;

// The ranks' shared room: every collective is an all-gather of bytes, reduced in rank order.
struct Room {
  explicit Room(int n) : size(n), slots(static_cast<size_t>(n)) {}
  std::mutex m;
  std::condition_variable cv;
  int size, arrived = 0;
  int64_t round = 0;
  std::vector<std::string> slots, result;
};

class ThreadComm final : public Communicator {
 public:
  ThreadComm(Room* room, int rank) : room_(room), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return room_->size; }
  void AllReduceSum(double* data, int64_t n) override { Sum(data, n); }
  void AllReduceSum(float* data, int64_t n) override { Sum(data, n); }
  int64_t AllReduceMax(int64_t value) override {
    int64_t best = INT64_MIN;
    for (const auto& b : AllGather(std::string(reinterpret_cast<char*>(&value), 8))) {
      int64_t v = 0;
      std::memcpy(&v, b.data(), 8);
      best = std::max(best, v);
    }
    return best;
  }
  std::vector<std::string> AllGather(const std::string& mine) override {
    std::unique_lock<std::mutex> lock(room_->m);
    const int64_t round = room_->round;
    room_->slots[static_cast<size_t>(rank_)] = mine;
    if (++room_->arrived == room_->size) {
      room_->result = room_->slots;
      room_->arrived = 0;
      ++room_->round;
      room_->cv.notify_all();
    } else {
      room_->cv.wait(lock, [&] { return room_->round != round; });
    }
    return room_->result;
  }
  void Broadcast(std::string* bytes, int root) override {
    *bytes = AllGather(*bytes)[static_cast<size_t>(root)];
  }
  [[noreturn]] void Abort(int code) override { std::_Exit(code); }

 private:
  template <typename T>
  void Sum(T* data, int64_t n) {
    const auto all = AllGather(std::string(reinterpret_cast<char*>(data), sizeof(T) * n));
    for (int64_t i = 0; i < n; ++i) {
      T s = 0;
      for (const auto& b : all) s += reinterpret_cast<const T*>(b.data())[i];
      data[i] = s;
    }
  }
  Room* room_;
  int rank_;
};

double MaxAbsDiff(TabularNet& a, TabularNet& b) {
  const auto pa = a->parameters(), pb = b->parameters();
  double worst = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    worst = std::max(worst, (pa[i] - pb[i]).abs().max().item<double>());
  }
  return worst;
}

// Trains `arch` on `store` alone and as `ranks` threads; returns the largest weight difference
// between the single session and rank 0, and checks every rank holds rank 0's weights.
double TrainBothWays(const ModelArch& arch, const SessionOptions& o, const FeatureStore& store,
                     const torch::Tensor& train_rows, const torch::Tensor& val_rows, int ranks) {
  TrainSession alone(arch, o);
  alone.Train(store, train_rows, val_rows);
  Room room(ranks);
  std::vector<std::unique_ptr<ThreadComm>> comms;
  std::vector<std::unique_ptr<TrainSession>> sessions;
  for (int r = 0; r < ranks; ++r) {
    comms.push_back(std::make_unique<ThreadComm>(&room, r));
    SessionOptions ro = o;
    ro.comm = comms.back().get();
    sessions.push_back(std::make_unique<TrainSession>(arch, ro));
  }
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      at::set_num_threads(1);
      sessions[static_cast<size_t>(r)]->Train(store, train_rows, val_rows);
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 1; r < ranks; ++r) {
    EXPECT_EQ(MaxAbsDiff(sessions[0]->model(), sessions[static_cast<size_t>(r)]->model()), 0.0)
        << "rank " << r << " drifted from rank 0";
    EXPECT_EQ(sessions[0]->progress().epoch, sessions[static_cast<size_t>(r)]->progress().epoch);
  }
  EXPECT_EQ(alone.progress().step, sessions[0]->progress().step);
  EXPECT_EQ(alone.progress().best_epoch, sessions[0]->progress().best_epoch);
  EXPECT_NEAR(alone.last_train_loss(), sessions[0]->last_train_loss(), 1e-5);
  return MaxAbsDiff(alone.model(), sessions[0]->model());
}

TEST(DistSync, RanksTrainTheSingleSessionsMlp) {
  const FeatureStore store = MakeStore(Task::kBinary, 1003, 4);  // a ragged last batch
  const ModelArch arch = Arch("mlp", Task::kBinary, 1, 3, {6, 6});
  for (int ranks : {2, 3}) {
    EXPECT_LT(TrainBothWays(arch, Options(Task::kBinary, 3), store, {}, {}, ranks), 2e-5)
        << ranks << " ranks";
  }
}

TEST(DistSync, WeightedRowsAndEarlyStopping) {
  FeatureStore store = MakeStore(Task::kRegression, 800, 9);
  store.weights = torch::rand({800}, torch::kFloat32) * 2;
  SessionOptions o = Options(Task::kRegression, 6);
  o.train.early_stopping.patience = 2;
  o.train.clip_grad_norm = 0.5;
  const torch::Tensor val = torch::arange(0, 800, 5, torch::kInt64);
  const torch::Tensor mask = torch::ones({800}, torch::kBool).index_fill_(0, val, false);
  const torch::Tensor train = torch::arange(800, torch::kInt64).masked_select(mask);
  const ModelArch arch = Arch("wide_deep", Task::kRegression, 1, 3, {6, 6});
  EXPECT_LT(TrainBothWays(arch, o, store, train, val, 2), 2e-5);
}

TEST(DistSync, FullBatchFit) {
  const FeatureStore store = MakeStore(Task::kMulticlass, 700, 2);
  SessionOptions o = Options(Task::kMulticlass, 1);
  o.full_batch = true;
  const ModelArch arch = Arch("linear", Task::kMulticlass, 3, 3, {6, 6});
  EXPECT_LT(TrainBothWays(arch, o, store, {}, {}, 2), 1e-6);
}

// A binary linear model's passes are written out (train/linear_objective.h), over each rank's
// stripe of the rows.
TEST(DistSync, FullBatchFitWrittenOut) {
  FeatureStore store = MakeStore(Task::kBinary, 700, 2);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  store.weights = torch::rand({700}, gen, torch::kFloat32) + 0.5f;
  SessionOptions o = Options(Task::kBinary, 1);
  o.full_batch = true;
  const ModelArch arch = Arch("linear", Task::kBinary, 1, 3, {6, 6});
  EXPECT_LT(TrainBothWays(arch, o, store, {}, {}, 3), 1e-6);
}

}  // namespace
}  // namespace freshet
