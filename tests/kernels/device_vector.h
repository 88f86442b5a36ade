// Test helper: a typed device copy of a host vector, for the _CUDA parity tests.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/device.h"

namespace freshet::kernels::test_util {

// Owns n elements of T on the current CUDA device (default stream). Copies are synchronous.
template <typename T>
class DeviceVector {
 public:
  explicit DeviceVector(size_t n) : buf_(n * sizeof(T), nullptr), n_(n) {}
  explicit DeviceVector(const std::vector<T>& host) : DeviceVector(host.size()) {
    CopyToDevice(buf_.data(), host.data(), host.size() * sizeof(T), nullptr);
    SynchronizeStream(nullptr);
  }

  T* data() const { return buf_.as<T>(); }
  std::vector<T> ToHost() const {
    std::vector<T> host(n_);
    CopyToHost(host.data(), buf_.data(), n_ * sizeof(T), nullptr);
    SynchronizeStream(nullptr);
    return host;
  }

 private:
  DeviceBuffer buf_;
  size_t n_;
};

}  // namespace freshet::kernels::test_util
