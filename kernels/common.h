// Macros shared by the CPU and CUDA halves of every kernel.
#pragma once

#if defined(__CUDACC__)
#define FRESHET_HD __host__ __device__ __forceinline__
#else
#define FRESHET_HD inline __attribute__((always_inline))
#endif
