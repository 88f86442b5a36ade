// FRESHET_SIMD_CLONES: a CPU loop marked with it is built three times on x86-64 (ELF, GCC or
// clang), for x86-64-v4 (AVX-512 F, BW, DQ, VL: every AVX-512 server CPU), AVX2 and the baseline,
// and the loader picks the widest the CPU runs. AVX-512F alone (the earlier first copy) lacks the
// byte and mask ops of BW and VL, so that loops storing bytes fell back to 256-bit vectors with
// blends: the numeric transform's fill and clip loop ran at half the width.
// Elsewhere it is built once. Every copy must give the same results to the bit: a file whose
// marked loops do floating-point arithmetic is compiled with -ffp-contract=off (CMakeLists.txt),
// so that no copy fuses a multiply and an add that the others round twice.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
#define FRESHET_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define FRESHET_SIMD_CLONES
#endif
