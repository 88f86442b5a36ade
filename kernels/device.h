// The one place that decides where work runs, and the CUDA memory helpers the feature stage uses.
// Callers dispatch through Device (xgboost's Context::DispatchDevice), never through #ifdef.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace freshet {

enum class DeviceKind { kCpu, kCuda };

struct Device {
  DeviceKind kind = DeviceKind::kCpu;
  int index = 0;

  bool is_cuda() const { return kind == DeviceKind::kCuda; }
  // "cpu" or "cuda:N".
  std::string str() const;

  // Runs cpu_fn() on a CPU device and cuda_fn() on a CUDA one.
  template <typename CpuFn, typename CudaFn>
  decltype(auto) Dispatch(CpuFn&& cpu_fn, CudaFn&& cuda_fn) const {
    if (is_cuda()) return cuda_fn();
    return cpu_fn();
  }
};

// True when freshet was compiled with its CUDA kernels (FRESHET_CUDA).
bool BuiltWithCuda();

// Number of CUDA devices visible, 0 when none or when freshet was built without CUDA. Any CUDA
// error here (no driver, error 35 on machines without a GPU) counts as "no device".
int CudaDeviceCount();

// Resolves a config's `device` setting: "auto" (CUDA device 0 if one is visible, else CPU), "cpu",
// "cuda" or "cuda:N". Throws ConfigError for anything else, and Error(kUsage) when CUDA is asked
// for but none is visible or freshet was built without CUDA.
Device ResolveDevice(const std::string& setting);

// Throws Error("freshet was built without CUDA") in a CPU-only build; no-op otherwise.
void AssertGpuSupport();

// Owning device allocation, freed on destruction. Holds nothing on a CPU-only build (constructing a
// non-empty one throws there). Not copyable; movable.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // Allocates `bytes` bytes on the current CUDA device (stream-ordered on `stream`, a
  // cudaStream_t).
  DeviceBuffer(size_t bytes, void* stream);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return ptr_; }
  size_t size() const { return bytes_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  void* stream_ = nullptr;
};

// Page-locked host memory (cudaMallocHost), so copies from it run asynchronously at full PCIe
// speed. Freed on destruction. Not copyable.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  char* data() const { return ptr_; }
  size_t size() const { return bytes_; }

 private:
  char* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// An owned non-blocking CUDA stream on the current device. Destruction waits for its work.
class CudaStream {
 public:
  CudaStream();
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  void* get() const { return stream_; }

 private:
  void* stream_ = nullptr;
};

// Makes future work on `waiter` wait for the work queued so far on `signaller` (both
// cudaStream_t; nullptr is the legacy default stream).
void StreamWaitFor(void* waiter, void* signaller);

// Asynchronous copies on `stream` (a cudaStream_t). Throw Error with file:line on a CUDA failure.
void CopyToDevice(void* dst, const void* src, size_t bytes, void* stream);
void CopyToHost(void* dst, const void* src, size_t bytes, void* stream);
void SynchronizeStream(void* stream);

}  // namespace freshet
