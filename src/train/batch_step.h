// A session's mini-batch step written out on the CPU (train/mlp_step.h) where it applies: the
// same gradients without LibTorch's per-operation dispatch and autograd graph. It gathers a
// resident store's rows itself; a streamed store's batches come gathered (rows 0, 1, ... of the
// batch, in_order()), so that both give the same model, as they do with autograd.
//
// A single process splits every batch into two halves, each against the whole batch's row count
// or weight, their gradients added in one order: the second half runs on a LaneThread where a
// second core is free (from the start with two intra-op threads, or once
// SessionOptions::spare_core says so), else after the first on this thread. Either way the model
// is the same to the bit, on any number of cores. Data-parallel ranks each take their stripe of
// the batch (as StripeOf takes it) instead.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "train/lane_thread.h"
#include "train/mlp_step.h"
#include "train/session.h"

namespace freshet {

class BatchStep {
 public:
  // The step of `model`'s batches of up to `batch` rows, or null where MlpCpuStep does not take
  // them (or opt.written_out_step is off). `model` and `opt` must outlive the step.
  static std::unique_ptr<BatchStep> Make(TabularNet& model, const SessionOptions& opt,
                                         int64_t batch);
  // Joins the lane thread and gives this thread its intra-op thread count back.
  ~BatchStep();
  BatchStep(const BatchStep&) = delete;
  BatchStep& operator=(const BatchStep&) = delete;

  // The mean loss over rows rows[0..nb) of `from` (weighted by its weights when it has them)
  // across the ranks, this process's share of it returned, its gradient in the parameters' grad().
  // Throws DataError for a category code outside its table.
  double Step(const FeatureStore& from, const int64_t* rows, int64_t nb);

  // Rows 0, 1, ..., batch - 1: a gathered batch's rows.
  const int64_t* in_order() const { return in_order_.data(); }

  // Around work of this thread's on all its intra-op threads (validation): the lane sleeps
  // meanwhile.
  void UseAllThreads();
  void UseOneThread();

 private:
  BatchStep(TabularNet& model, const SessionOptions& opt, int64_t batch);
  // Starts the lane thread once a second core is free.
  void StartLane();

  const SessionOptions& opt_;
  bool dist_ = false;
  int initial_threads_ = 1;  // this thread's intra-op threads when made
  MlpCpuStep first_;
  std::optional<MlpCpuStep> second_;  // a single process's second halves, own gradients
  std::vector<int64_t> in_order_, stripe_;
  // The second half being computed, and its loss.
  const FeatureStore* half_from_ = nullptr;
  const int64_t* half_rows_ = nullptr;
  int64_t half_n_ = 0;
  double half_denominator_ = 0, half_loss_ = 0;
  std::function<void()> second_half_;
  std::optional<LaneThread> lane_;  // last: joined before what its job refers to goes
};

}  // namespace freshet
