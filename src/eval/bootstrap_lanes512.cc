// The lanes' scan with 8 lanes, for x86-64 CPUs with AVX-512F and AVX-512DQ (SortedPassLanes
// takes it where WidestLanes() says so). One read of a position serves 8 resamples, one 64-byte
// vector each for the counts and the sums, and the 32 vector registers hold the scan's state.
// Each lane goes through the same operations as with 2 lanes (this file and bootstrap_sorted.cc
// are built with -ffp-contract=off, so nothing is fused): the same results to the bit.
//
// Every header this file needs comes first, built for the baseline; the target pragma then covers
// bootstrap_lanes.h's scans only (internal linkage: nothing built here is shared with other
// files, and they touch no library code).
#include <cstdint>
#include <cstring>

#include "eval/bootstrap_sorted.h"

#if defined(FRESHET_LANES512)
#include <immintrin.h>
#endif

#if defined(FRESHET_LANES512)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq")
#endif

#include "eval/bootstrap_lanes.h"

namespace freshet::bootstrap_internal {

LaneScans WideLaneScans() { return ScansOf<kMaxLanes>(); }

}  // namespace freshet::bootstrap_internal

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
