// src/train/torch_cuda.h for a build with CUDA: LibTorch's CUDA streams, events and generators.
#include "train/torch_cuda.h"

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>

#include <mutex>

namespace freshet::torch_cuda {
namespace {

c10::DeviceIndex Index(const torch::Device& d) { return d.index(); }

}  // namespace

void* CurrentStream(const torch::Device& d) {
  return d.is_cuda() ? at::cuda::getCurrentCUDAStream(Index(d)).stream() : nullptr;
}

int ComputeCapabilityMajor(const torch::Device& d) {
  return d.is_cuda() ? at::cuda::getDeviceProperties(Index(d))->major : 0;
}

int64_t FreeMemory(const torch::Device& d) {
  if (!d.is_cuda()) return -1;
  c10::cuda::CUDAGuard guard(Index(d));
  size_t free_bytes = 0, total = 0;
  if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) return -1;
  return static_cast<int64_t>(free_bytes);
}

std::string RuntimeVersion() {
  return std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 100 / 10);
}

torch::Tensor GeneratorState(const torch::Device& d) {
  if (!d.is_cuda()) return {};
  at::Generator gen = at::cuda::detail::getDefaultCUDAGenerator(Index(d));
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void SetGeneratorState(const torch::Device& d, const torch::Tensor& state) {
  if (!d.is_cuda() || !state.defined()) return;
  at::Generator gen = at::cuda::detail::getDefaultCUDAGenerator(Index(d));
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

struct Event::Impl {
  explicit Impl(const torch::Device& d) : device(d) {}
  torch::Device device;
  at::cuda::CUDAEvent event;
};

Event::Event(const torch::Device& d) : impl_(std::make_unique<Impl>(d)) {}
Event::~Event() = default;

void Event::RecordOnCurrentStream() {
  if (impl_->device.is_cuda()) {
    impl_->event.record(at::cuda::getCurrentCUDAStream(Index(impl_->device)));
  }
}

void Event::BlockCurrentStream() {
  if (impl_->device.is_cuda()) {
    impl_->event.block(at::cuda::getCurrentCUDAStream(Index(impl_->device)));
  }
}

void Event::Synchronize() {
  if (impl_->device.is_cuda()) impl_->event.synchronize();
}

void OnSideStream(const torch::Device& d, Event* after, const std::function<void()>& fn,
                  Event* done) {
  if (!d.is_cuda()) {
    fn();
    return;
  }
  c10::cuda::CUDAGuard device_guard(Index(d));
  auto stream = at::cuda::getStreamFromPool(false, Index(d));
  c10::cuda::CUDAStreamGuard stream_guard(stream);
  after->impl_->event.block(stream);
  fn();
  done->impl_->event.record(stream);
}

}  // namespace freshet::torch_cuda
