// src/train/torch_cuda.h for a build without CUDA: there is no CUDA device (ResolveDevice refuses
// one), so every call is on a CPU device and does nothing.
#include "train/torch_cuda.h"

namespace freshet::torch_cuda {

void* CurrentStream(const torch::Device&) { return nullptr; }
int ComputeCapabilityMajor(const torch::Device&) { return 0; }
int64_t FreeMemory(const torch::Device&) { return -1; }
std::string RuntimeVersion() { return ""; }
torch::Tensor GeneratorState(const torch::Device&) { return {}; }
void SetGeneratorState(const torch::Device&, const torch::Tensor&) {}

struct Event::Impl {};
Event::Event(const torch::Device&) {}
Event::~Event() = default;
void Event::RecordOnCurrentStream() {}
void Event::BlockCurrentStream() {}
void Event::Synchronize() {}

void OnSideStream(const torch::Device&, Event*, const std::function<void()>& fn, Event*) { fn(); }

}  // namespace freshet::torch_cuda
