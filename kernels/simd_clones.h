// FRESHET_SIMD_CLONES: a CPU loop marked with it is built three times on x86-64 (ELF, GCC or
// clang), for AVX-512F, AVX2 and the baseline, and the loader picks the widest the CPU runs.
// Elsewhere it is built once. Every copy must give the same results to the bit: a file whose
// marked loops do floating-point arithmetic is compiled with -ffp-contract=off (CMakeLists.txt),
// so that no copy fuses a multiply and an add that the others round twice.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
#define FRESHET_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FRESHET_SIMD_CLONES
#endif
