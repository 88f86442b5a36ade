// What training needs of LibTorch's CUDA side: streams, events, the CUDA generator, device
// properties. The one place that knows whether freshet was built with CUDA: torch_cuda.cc
// implements it when it was (FRESHET_CUDA), torch_nocuda.cc when not. Everything else in src/train
// asks a Device and calls these, never #ifdef. On a CPU device every function does nothing (or
// returns its "none" value); a build without CUDA never sees a CUDA device (ResolveDevice refuses
// one), so there they are only ever called on CPU devices.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <torch/torch.h>

namespace freshet::torch_cuda {

// The cudaStream_t of torch's current stream on `d`; null on a CPU device.
void* CurrentStream(const torch::Device& d);

// The compute capability's major number of `d`; 0 on a CPU device.
int ComputeCapabilityMajor(const torch::Device& d);

// Free memory of `d` in bytes; -1 on a CPU device or when the driver does not say.
int64_t FreeMemory(const torch::Device& d);

// The CUDA runtime freshet was built against ("13.0"); empty without CUDA.
std::string RuntimeVersion();

// The state of torch's default CUDA generator of `d`; undefined on a CPU device.
torch::Tensor GeneratorState(const torch::Device& d);
// Sets it (nothing on a CPU device or for an undefined state).
void SetGeneratorState(const torch::Device& d, const torch::Tensor& state);

// A CUDA event of device `d` (an at::cuda::CUDAEvent); every member does nothing on a CPU device.
class Event {
 public:
  explicit Event(const torch::Device& d);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Records the event on the device's current stream.
  void RecordOnCurrentStream();
  // Makes the device's current stream wait for the event's last record.
  void BlockCurrentStream();
  // Waits on the host for the last record (nothing if never recorded).
  void Synchronize();

 private:
  friend void OnSideStream(const torch::Device&, Event*, const std::function<void()>&, Event*);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs fn() with a stream from torch's pool as the current stream of `d`: the stream first waits
// for `after`'s last record, and `done` is recorded on it once fn's work is queued. On a CPU
// device, runs fn().
void OnSideStream(const torch::Device& d, Event* after, const std::function<void()>& fn,
                  Event* done);

}  // namespace freshet::torch_cuda
