// Error checking for CUDA runtime calls and kernel launches. Device code never includes this.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "freshet/error.hpp"

namespace freshet::kernels::detail {

// Throws Error(kInternal) "file:line: CUDA error <name> (<message>) in <what>".
[[noreturn]] inline void ThrowCudaError(cudaError_t err, const char* what, const char* file,
                                        int line) {
  cudaGetLastError();  // clear a non-sticky error so that the next launch check does not see it
  throw Error(ErrorKind::kInternal, std::string(file) + ":" + std::to_string(line) +
                                        ": CUDA error " + cudaGetErrorName(err) + " (" +
                                        cudaGetErrorString(err) + ") in " + what);
}

}  // namespace freshet::kernels::detail

// Evaluates `expr` (a cudaError_t) once and throws freshet::Error(kInternal) with file:line and
// cudaGetErrorString when it is not cudaSuccess. After a kernel launch, write
// FRESHET_CUDA_CHECK(cudaGetLastError()).
#define FRESHET_CUDA_CHECK(expr)                                                                \
  do {                                                                                          \
    const cudaError_t freshet_cuda_err_ = (expr);                                               \
    if (freshet_cuda_err_ != cudaSuccess) {                                                     \
      ::freshet::kernels::detail::ThrowCudaError(freshet_cuda_err_, #expr, __FILE__, __LINE__); \
    }                                                                                           \
  } while (0)
