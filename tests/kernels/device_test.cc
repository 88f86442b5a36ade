#include "kernels/device.h"

#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "kernels/numeric_transform.h"

namespace freshet {
namespace {

TEST(Device, CpuDispatchRunsCpuBranch) {
  const Device cpu = ResolveDevice("cpu");
  EXPECT_FALSE(cpu.is_cuda());
  EXPECT_EQ(cpu.Dispatch([] { return 1; }, [] { return 2; }), 1);
  EXPECT_EQ((Device{DeviceKind::kCuda, 0}.Dispatch([] { return 1; }, [] { return 2; })), 2);
}

TEST(Device, AutoFollowsVisibleDevices) {
  const Device dev = ResolveDevice("auto");
  EXPECT_EQ(dev.is_cuda(), CudaDeviceCount() > 0);
  EXPECT_GE(CudaDeviceCount(), 0);
  if (!BuiltWithCuda()) {
    EXPECT_EQ(CudaDeviceCount(), 0);
  }
}

TEST(Device, EmptyBufferHoldsNothing) {
  DeviceBuffer empty;
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.size(), 0u);
  DeviceBuffer zero(0, nullptr);
  EXPECT_EQ(zero.data(), nullptr);
  DeviceBuffer moved(std::move(zero));
  EXPECT_EQ(moved.size(), 0u);
}

// Without a usable device (CPU-only build, or no GPU) the CUDA entry points throw a freshet::Error
// instead of crashing; in a CPU-only build the message says so.
TEST(Device, CudaEntryPointsThrowWithoutDevice) {
  if (CudaDeviceCount() > 0) GTEST_SKIP() << "a CUDA device is visible";
  EXPECT_THROW(DeviceBuffer(64, nullptr), Error);
  float x = 1.f;
  kernels::NumericColumnView v;
  v.values = &x;
  v.dense_out = 0;
  EXPECT_THROW(
      kernels::cuda_impl::TransformNumericColumns(&v, 1, nullptr, 0, 1, &x, 1, nullptr, 0, nullptr),
      Error);
  EXPECT_THROW(ResolveDevice("cuda"), Error);
  if (!BuiltWithCuda()) {
    try {
      CopyToDevice(&x, &x, 4, nullptr);
      FAIL() << "CopyToDevice did not throw";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "freshet was built without CUDA");
    }
  }
  // The failed calls must not poison later device queries.
  EXPECT_EQ(CudaDeviceCount(), 0);
}

TEST(DeviceCuda, BufferRoundTripAndMove_CUDA) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  std::mt19937_64 rng(1);
  std::vector<uint64_t> host(100003);
  for (auto& v : host) v = rng();
  DeviceBuffer a(host.size() * sizeof(uint64_t), nullptr);
  ASSERT_NE(a.data(), nullptr);
  EXPECT_EQ(a.size(), host.size() * sizeof(uint64_t));
  CopyToDevice(a.data(), host.data(), a.size(), nullptr);
  DeviceBuffer b(16, nullptr);
  b = std::move(a);  // frees b's old allocation
  EXPECT_EQ(a.data(), nullptr);
  std::vector<uint64_t> back(host.size());
  CopyToHost(back.data(), b.data(), b.size(), nullptr);
  SynchronizeStream(nullptr);
  EXPECT_EQ(back, host);
}

TEST(DeviceCuda, LaunchErrorsThrow_CUDA) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  EXPECT_THROW(DeviceBuffer(size_t{1} << 62, nullptr), Error);  // more than any GPU holds
  // The error was cleared: a later launch and its check succeed.
  float x = std::numeric_limits<float>::quiet_NaN();
  DeviceBuffer d(sizeof(float), nullptr);
  CopyToDevice(d.data(), &x, sizeof(x), nullptr);
  kernels::NumericColumnView v;  // a missing value, filled with 2
  v.values = d.as<float>();
  v.fill = 2.0;
  v.dense_out = 0;
  kernels::cuda_impl::TransformNumericColumns(&v, 1, nullptr, 0, 1, d.as<float>(), 1, nullptr, 0,
                                              nullptr);
  CopyToHost(&x, d.data(), sizeof(x), nullptr);
  SynchronizeStream(nullptr);
  EXPECT_EQ(x, 2.f);
}

}  // namespace
}  // namespace freshet
