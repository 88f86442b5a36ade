// The CPU-only build's device queries and CUDA entry points: every CUDA entry point throws
// "freshet was built without CUDA" (device_cuda.cu is the CUDA build's twin).
#ifndef FRESHET_WITH_CUDA

#include "kernels/categorical_transform.h"
#include "kernels/column_histogram.h"
#include "kernels/column_moments.h"
#include "kernels/device.h"
#include "kernels/feature_rows.h"
#include "kernels/numeric_transform.h"
#include "kernels/value_counts.h"

namespace freshet {

bool BuiltWithCuda() { return false; }

int CudaDeviceCount() { return 0; }

DeviceBuffer::DeviceBuffer(size_t bytes, void* stream) : stream_(stream) {
  if (bytes > 0) AssertGpuSupport();
}
DeviceBuffer::~DeviceBuffer() = default;
DeviceBuffer::DeviceBuffer(DeviceBuffer&&) noexcept {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&&) noexcept { return *this; }

void CopyToDevice(void*, const void*, size_t, void*) { AssertGpuSupport(); }
void CopyToHost(void*, const void*, size_t, void*) { AssertGpuSupport(); }
void SynchronizeStream(void*) { AssertGpuSupport(); }

PinnedBuffer::PinnedBuffer(size_t bytes) {
  if (bytes > 0) AssertGpuSupport();
}
PinnedBuffer::~PinnedBuffer() = default;
CudaStream::CudaStream() { AssertGpuSupport(); }
CudaStream::~CudaStream() = default;
void StreamWaitFor(void*, void*) { AssertGpuSupport(); }

namespace kernels::cuda_impl {

void TransformNumericColumns(const NumericColumnView*, int32_t, const double*, int32_t, int64_t,
                             float*, int64_t, int64_t*, int64_t, void*) {
  AssertGpuSupport();
}

void TransformCategoricalColumns(const CategoricalInputView*, int32_t, const CategoricalOutputView*,
                                 int32_t, int64_t, int64_t*, int64_t, void*) {
  AssertGpuSupport();
}

void NumericColumnMoments(const NumericColumnView*, int32_t, int64_t, ColumnMoments*, void*) {
  AssertGpuSupport();
}

void NumericColumnHistograms(const HistogramColumn*, int32_t, const double*, int32_t, int64_t,
                             int64_t*, int64_t, int64_t*, void*) {
  AssertGpuSupport();
}

std::vector<ValueCount> CountValues(const CategoricalInputView&, int64_t, void*) {
  AssertGpuSupport();
  return {};
}

void TransformFeatureRows(const NumericColumnView*, int32_t, const double*, int32_t,
                          const CategoricalInputView*, int32_t, const CategoricalOutputView*,
                          int32_t, int64_t, float*, int64_t, int64_t*, int64_t, void*) {
  AssertGpuSupport();
}

}  // namespace kernels::cuda_impl
}  // namespace freshet

#endif  // FRESHET_WITH_CUDA
