// The inner scan of the lanes' pass (bootstrap_sorted.h, SortedPassLanes), written once for any
// number of lanes L and compiled twice: for 2 lanes in the baseline instruction set
// (bootstrap_sorted.cc) and for 8 lanes with AVX-512 (bootstrap_lanes512.cc, under a target
// pragma). Private to those two files.
//
// The scan touches only the plain structs of bootstrap_sorted.h (raw pointers and arrays of
// doubles): no library code is built for AVX-512, and the scans have internal linkage (an unnamed
// namespace), so the linker can never pick an AVX-512 copy of a function for a caller in baseline
// code.
#pragma once

#include <cstdint>
#include <cstring>

#include "eval/bootstrap_sorted.h"

#if defined(FRESHET_LANES512)
#include <immintrin.h>
#endif

namespace freshet::bootstrap_internal {

namespace {

// L doubles in one value (16 bytes for 2, 64 for 8), with GCC's and Clang's vector extensions.
// The lanes' counts, their sums and AUC's sum are whole numbers below 2^53 (the rows fewer than
// kMaxLaneRows), so they are exact in doubles. Each lane goes through the same operations in the
// same order whatever L is, so a resample's results do not depend on it.
template <int L>
struct LaneOf {
  typedef double Type __attribute__((vector_size(L * sizeof(double))));
  typedef uint8_t Bytes __attribute__((vector_size(L)));
  typedef uint32_t Words __attribute__((vector_size(L * sizeof(uint32_t))));
  typedef int32_t Ints __attribute__((vector_size(L * sizeof(int32_t))));
};

// The byte counts as doubles, by lookup: cheaper than converting each byte with 2 lanes. Built
// at compile time (no constructor runs, in either file's instruction set).
struct ByteAsDouble {
  double value[256] = {};
  constexpr ByteAsDouble() {
    for (int i = 0; i < 256; ++i) value[i] = i;
  }
};
constexpr ByteAsDouble kByteAsDouble;

template <int L>
typename LaneOf<L>::Type LoadLane(const uint8_t* c) {
  if constexpr (L == 2) {
    return typename LaneOf<L>::Type{kByteAsDouble.value[c[0]], kByteAsDouble.value[c[1]]};
  } else {
#if defined(FRESHET_LANES512)
    if constexpr (L == 8) {
      // Two vector conversions, bytes to 32-bit integers to doubles (vpmovzxbd, vcvtdq2pd): GCC
      // turns __builtin_convertvector of bytes into eight scalar conversions.
      __m128i bytes;
      std::memcpy(&bytes, c, 8);
      const __m256i words = _mm256_cvtepu8_epi32(bytes);
      typename LaneOf<L>::Ints ints;
      std::memcpy(&ints, &words, sizeof ints);
      return __builtin_convertvector(ints, typename LaneOf<L>::Type);
    }
#endif
    typename LaneOf<L>::Bytes b;
    std::memcpy(&b, c, sizeof b);
    return __builtin_convertvector(b, typename LaneOf<L>::Type);
  }
}
template <int L>
typename LaneOf<L>::Type LoadLane(const uint32_t* c) {
  typename LaneOf<L>::Words w;
  std::memcpy(&w, c, sizeof w);
  return __builtin_convertvector(w, typename LaneOf<L>::Type);
}

template <int L>
typename LaneOf<L>::Type Get(const double* a) {
  typename LaneOf<L>::Type v;
  std::memcpy(&v, a, sizeof v);
  return v;
}
template <int L>
void Put(typename LaneOf<L>::Type v, double* a) {
  std::memcpy(a, &v, sizeof v);
}

template <int L, typename Count, bool WithAp, bool WithSums>
void ScanLanes(const LaneScanInput& in, uint32_t begin, uint32_t end, LaneState* st) {
  using Lane = typename LaneOf<L>::Type;
  const Count* counts = static_cast<const Count*>(in.counts);
  Lane tp = Get<L>(st->tp), cum = Get<L>(st->cum), above = Get<L>(st->above);
  Lane tp_end = Get<L>(st->tp_end), auc = Get<L>(st->auc), ap = Get<L>(st->ap);
  Lane log_loss = Get<L>(st->log_loss), squared = Get<L>(st->squared);
  Lane ps = {};
  const Lane one = Lane{} + 1.0;
  for (uint32_t j = begin; j < end; ++j) {
    const uint32_t e = in.entry[j];
    const Lane c = LoadLane<L>(counts + static_cast<size_t>(e & kRowMask) * L);
    const Lane pos = c * static_cast<double>((e >> 29) & 1);
    if (e & kGroupStart) above = tp;
    auc += (c - pos) * above;
    tp += pos;
    cum += c;
    if constexpr (WithSums) {
      log_loss += c * in.log_loss[j];
      squared += c * in.squared[j];
      ps += c * static_cast<double>(in.score[j]);
    }
    if constexpr (WithAp) {
      // A lane whose group drew no positive adds 0 * (tp / cum): its sum stays as it is.
      if (in.ap_term[j]) {
        ap += (tp - tp_end) * (tp / (cum > 0.5 ? cum : one));
        tp_end = tp;
      }
    }
  }
  Put<L>(tp, st->tp);
  Put<L>(cum, st->cum);
  Put<L>(above, st->above);
  Put<L>(tp_end, st->tp_end);
  Put<L>(auc, st->auc);
  Put<L>(ap, st->ap);
  Put<L>(log_loss, st->log_loss);
  Put<L>(squared, st->squared);
  Put<L>(ps, st->run_score);
}

template <int L>
LaneScans ScansOf() {
  LaneScans s{L, {}};
  s.scan[0][0][0] = ScanLanes<L, uint8_t, false, false>;
  s.scan[0][0][1] = ScanLanes<L, uint8_t, false, true>;
  s.scan[0][1][0] = ScanLanes<L, uint8_t, true, false>;
  s.scan[0][1][1] = ScanLanes<L, uint8_t, true, true>;
  s.scan[1][0][0] = ScanLanes<L, uint32_t, false, false>;
  s.scan[1][0][1] = ScanLanes<L, uint32_t, false, true>;
  s.scan[1][1][0] = ScanLanes<L, uint32_t, true, false>;
  s.scan[1][1][1] = ScanLanes<L, uint32_t, true, true>;
  return s;
}

}  // namespace
}  // namespace freshet::bootstrap_internal
