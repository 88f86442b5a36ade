// The lanes' scan with 8 lanes, for x86-64 CPUs with AVX-512F and AVX-512DQ (SortedPassLanes
// takes it where WidestLanes() says so), and the draws of eight resamples at once (DrawPairs8). One
// read of a position serves 8 resamples, one 64-byte vector each for the counts and the sums, and
// the 32 vector registers hold the scan's state. Each lane goes through the same operations as with
// 2 lanes (this file and bootstrap_sorted.cc are built with -ffp-contract=off, so nothing is
// fused): the same results to the bit.
//
// Every header this file needs comes first, built for the baseline; the target pragma then covers
// bootstrap_lanes.h's scans only (internal linkage: nothing built here is shared with other
// files, and they touch no library code).
#include <cstdint>
#include <cstring>

#include "eval/bootstrap_draws.h"
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

void DrawPairs8(uint64_t* states, uint32_t n, int64_t pairs, uint32_t* out) {
  // GCC's vector extensions (vpmullq for the products of 64-bit lanes) rather than intrinsics,
  // some of which GCC 12 warns about at -O2 (their "undefined" pass-through operands).
  typedef uint64_t Words __attribute__((vector_size(64)));
  typedef uint32_t Halves __attribute__((vector_size(32)));
  const uint32_t floor = DrawStream::Floor(n);
  const Words low = Words{} + 0xFFFFFFFFULL;
  const Words nv = Words{} + n;
  Words s;
  std::memcpy(&s, states, sizeof s);
  for (int64_t p = 0; p < pairs; ++p) {
    // Next() and Mix64 on the eight states, then each half's product with n (Bounded).
    s += kGolden;
    Words z = (s ^ (s >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    const Words m_lo = (z & low) * nv;
    const Words m_hi = (z >> 32) * nv;
    uint32_t* o = out + p * 16;
    const Halves i_lo = __builtin_convertvector(m_lo >> 32, Halves);
    const Halves i_hi = __builtin_convertvector(m_hi >> 32, Halves);
    std::memcpy(o, &i_lo, sizeof i_lo);
    std::memcpy(o + 8, &i_hi, sizeof i_hi);
    const Words rejected_lanes = ((m_lo & low) < floor) | ((m_hi & low) < floor);
    __m512i r;
    std::memcpy(&r, &rejected_lanes, sizeof r);
    const __mmask8 rejected = _mm512_test_epi64_mask(r, r);
    if (rejected != 0) {
      // A product below the floor (about n / 2^32 of them): the streams that drew one take this
      // pair one at a time, as DrawStream does, drawing replacements from their own outputs.
      uint64_t st[8], x[8];
      std::memcpy(st, &s, sizeof st);
      std::memcpy(x, &z, sizeof x);
      for (int l = 0; l < 8; ++l) {
        if (((rejected >> l) & 1) == 0) continue;
        DrawStream d = DrawStream::FromState(st[l]);
        int h = 0;
        d.DrawPair(x[l], n, floor, [&](uint32_t i) { o[8 * h++ + l] = i; });
        st[l] = d.state();
      }
      std::memcpy(&s, st, sizeof s);
    }
  }
  std::memcpy(states, &s, sizeof s);
}

}  // namespace freshet::bootstrap_internal

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
