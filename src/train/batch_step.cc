#include "train/batch_step.h"

#include <algorithm>
#include <numeric>

namespace freshet {

std::unique_ptr<BatchStep> BatchStep::Make(TabularNet& model, const SessionOptions& opt,
                                           int64_t batch) {
  if (!opt.written_out_step || !MlpCpuStepApplies(model, opt.loss, opt.device, opt.bf16)) {
    return nullptr;
  }
  return std::unique_ptr<BatchStep>(new BatchStep(model, opt, batch));
}

BatchStep::BatchStep(TabularNet& model, const SessionOptions& opt, int64_t batch)
    : opt_(opt),
      dist_(opt.comm != nullptr && opt.comm->size() > 1),
      initial_threads_(at::get_num_threads()),
      first_(model, opt.loss, batch) {
  if (!dist_) second_.emplace(model, opt.loss, batch, /*own_gradients=*/true);
  in_order_.resize(static_cast<size_t>(batch));
  std::iota(in_order_.begin(), in_order_.end(), int64_t{0});
  second_half_ = [this] {
    half_loss_ = second_->Step(*half_from_, half_rows_, half_n_, half_denominator_);
  };
}

BatchStep::~BatchStep() {
  lane_.reset();
  if (at::get_num_threads() != initial_threads_) at::set_num_threads(initial_threads_);
}

void BatchStep::StartLane() {
  if (lane_ || !second_) return;
  if (initial_threads_ < 2 &&
      !(opt_.spare_core != nullptr && opt_.spare_core->load(std::memory_order_acquire))) {
    return;
  }
  lane_.emplace([] { at::set_num_threads(1); });
  UseOneThread();
}

void BatchStep::UseAllThreads() {
  if (at::get_num_threads() != initial_threads_) at::set_num_threads(initial_threads_);
}

void BatchStep::UseOneThread() {
  if (lane_ && at::get_num_threads() != 1) at::set_num_threads(1);
}

double BatchStep::Step(const FeatureStore& from, const int64_t* rows, int64_t nb) {
  double denominator = static_cast<double>(nb);
  if (from.weights.defined()) {
    const float* w = from.weights.data_ptr<float>();
    denominator = 0;
    for (int64_t j = 0; j < nb; ++j) denominator += w[rows[j]];
    denominator = std::max(denominator, 1e-12);
  }
  if (dist_) {
    stripe_.clear();
    for (int64_t j = opt_.comm->rank(); j < nb; j += opt_.comm->size()) {
      stripe_.push_back(rows[j]);
    }
    return first_.Step(from, stripe_.data(), static_cast<int64_t>(stripe_.size()), denominator);
  }
  StartLane();
  const int64_t second = nb / 2;  // the first half takes the odd row
  half_from_ = &from;
  half_rows_ = rows + (nb - second);
  half_n_ = second;
  half_denominator_ = denominator;
  if (lane_) lane_->Post(second_half_);
  double first = 0;
  try {
    first = first_.Step(from, rows, nb - second, denominator);
  } catch (...) {
    if (lane_) {
      try {
        lane_->Wait();
      } catch (...) {  // the first half's error is the one reported
      }
    }
    throw;
  }
  if (lane_) {
    lane_->Wait();
  } else {
    second_half_();
  }
  first_.AddGradientsOf(*second_);
  return first + half_loss_;
}

}  // namespace freshet
