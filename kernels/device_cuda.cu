// The CUDA build's device queries and memory helpers (device_nocuda.cc is the CPU-only twin).
#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda_check.cuh"
#include "kernels/device.h"

namespace freshet {
namespace {

cudaStream_t AsStream(void* stream) { return static_cast<cudaStream_t>(stream); }

}  // namespace

bool BuiltWithCuda() { return true; }

int CudaDeviceCount() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear it, so the next CUDA call does not report it
    return 0;
  }
  return count;
}

DeviceBuffer::DeviceBuffer(size_t bytes, void* stream) : stream_(stream) {
  if (bytes == 0) return;
  FRESHET_CUDA_CHECK(cudaMallocAsync(&ptr_, bytes, AsStream(stream)));
  bytes_ = bytes;
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_ != nullptr && cudaFreeAsync(ptr_, AsStream(stream_)) != cudaSuccess) {
    cudaGetLastError();  // a destructor must not throw; the context is likely gone anyway
  }
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      stream_(std::exchange(other.stream_, nullptr)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    DeviceBuffer old(std::move(*this));
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

void CopyToDevice(void* dst, const void* src, size_t bytes, void* stream) {
  if (bytes == 0) return;
  FRESHET_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, AsStream(stream)));
}

void CopyToHost(void* dst, const void* src, size_t bytes, void* stream) {
  if (bytes == 0) return;
  FRESHET_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, AsStream(stream)));
}

PinnedBuffer::PinnedBuffer(size_t bytes) {
  if (bytes == 0) return;
  FRESHET_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ptr_), bytes));
  bytes_ = bytes;
}

PinnedBuffer::~PinnedBuffer() {
  if (ptr_ != nullptr && cudaFreeHost(ptr_) != cudaSuccess) cudaGetLastError();
}

CudaStream::CudaStream() {
  cudaStream_t s;
  FRESHET_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  stream_ = s;
}

CudaStream::~CudaStream() {
  if (cudaStreamSynchronize(AsStream(stream_)) != cudaSuccess) cudaGetLastError();
  if (cudaStreamDestroy(AsStream(stream_)) != cudaSuccess) cudaGetLastError();
}

void StreamWaitFor(void* waiter, void* signaller) {
  cudaEvent_t event;
  FRESHET_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  FRESHET_CUDA_CHECK(cudaEventRecord(event, AsStream(signaller)));
  FRESHET_CUDA_CHECK(cudaStreamWaitEvent(AsStream(waiter), event, 0));
  FRESHET_CUDA_CHECK(cudaEventDestroy(event));  // released once the wait is done
}

void SynchronizeStream(void* stream) {
  FRESHET_CUDA_CHECK(cudaStreamSynchronize(AsStream(stream)));
}

}  // namespace freshet
