// The element-wise numeric ops: what a numeric column's pipeline may apply to each value between
// clip and scaling (log1p, sqrt, ...). Each op is defined here once, for the transform, the fit
// pass's transformed moments and the CPU reference alike, on the host and on the device; its name
// is the config's op name and its key in features.json, so the config parser and the feature state
// need no change when one is added.
//
// Adding an op: a value in PointwiseOp (before kPointwiseCount), its entry in kPointwiseOps, its
// case in ApplyPointwise, its tests (tests/kernels/numeric_ops_test.cc) and its README line.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/common.h"

namespace freshet::kernels {

// The ops in the order they apply: a column that has several applies them in this order, and the
// config must list them in it.
enum PointwiseOp : int32_t {
  kLog1p = 0,  // sign(x) * log1p(|x|): log1p for x >= 0, defined for every x
  kSqrt = 1,   // sign(x) * sqrt(|x|): sqrt for x >= 0, defined for every x
  kPointwiseCount
};

struct PointwiseInfo {
  const char* name;  // in the config's ops and as a key of features.json's numeric entries
  const char* math;  // for error messages and docs
  // The first features.json format that knows the op. A state that applies it is written in at
  // least that format, so that a freshet too old to apply it refuses the file instead of dropping
  // the op.
  int since_format;
};

inline constexpr PointwiseInfo kPointwiseOps[kPointwiseCount] = {
    {"log1p", "sign(x)*log1p(|x|)", 2},
    {"sqrt", "sign(x)*sqrt(|x|)", 3},
};

// A set of ops, bit k for PointwiseOp k.
inline constexpr uint32_t PointwiseBit(int32_t op) { return uint32_t{1} << op; }

// The bits of a double and back (memcpy compiles to a register move, on the host and the device).
FRESHET_HD uint64_t BitsOf(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}
FRESHET_HD double DoubleOf(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

// log1p(a) for a >= 0 (or NaN): musl's log1p (fdlibm's method: 1 + a = 2^k (1 + f) with 1 + f in
// [sqrt(2)/2, sqrt(2)), a correction for the rounding of 1 + a, log(1 + f) from a polynomial in
// s = f / (2 + f)), the same operations in the same order, written without branches or calls so
// that a loop over it vectorises: about 1 ns a value against 11 for glibc's log1p on the bench
// machine. Within 1 ulp of the exact value; glibc's log1p (also within 1 ulp) may differ from it in
// the last bit. +inf and NaN come back as they are.
FRESHET_HD double Log1pNonNegative(double a) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01,
                   kLg3 = 2.857142874366239149e-01, kLg4 = 2.222219843214978396e-01,
                   kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  // a < sqrt(2) - 1: log1p(a) = log(1 + f) with f = a itself (k = 0, no correction).
  const bool small = a < DoubleOf(uint64_t{0x3fda827a} << 32);
  const double u = 1.0 + a;
  // k and the reduced 1 + f from u's high word, as musl does.
  const uint64_t hu = (BitsOf(u) >> 32) + (0x3ff00000 - 0x3fe6a09e);
  const int64_t k_big = static_cast<int64_t>(hu >> 20) - 0x3ff;
  // The correction log(1 + a) - log(u) ~ c / u; none from 2^54 up (c / u would underflow).
  const double c_num = k_big >= 2 ? 1.0 - (u - a) : a - (u - 1.0);
  const double c_big = k_big < 54 ? c_num / u : 0.0;
  const uint64_t reduced = (((hu & 0x000fffff) + 0x3fe6a09e) << 32) | (BitsOf(u) & 0xffffffffu);
  const double f = small ? a : DoubleOf(reduced) - 1.0;
  const double c = small ? 0.0 : c_big;
  // k as a double without an int64 conversion (which AVX2 lacks): k + 2^52 + 1023 has k + 1023 in
  // its low mantissa bits.
  const double dk_big =
      DoubleOf(uint64_t{0x4330000000000000} | static_cast<uint64_t>(k_big + 0x3ff)) -
      (4503599627370496.0 + 1023.0);
  const double dk = small ? 0.0 : dk_big;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const double r = t2 + t1;
  const double y = s * (hfsq + r) + (dk * kLn2Lo + c) - hfsq + f + dk * kLn2Hi;
  return a <= 1.7976931348623157e308 ? y : a;  // +inf and NaN as they are
}

// sign(x) * log1p(|x|) by Log1pNonNegative: -0.0 stays -0.0, NaN keeps its sign and payload. The
// absolute value and the sign are bit operations, three vector instructions fewer a value than
// compares and selects (a fifth off the log1p loop of the CPU transform).
FRESHET_HD double SignedLog1p(double x) { return copysign(Log1pNonNegative(fabs(x)), x); }

FRESHET_HD double ApplyPointwise(int32_t op, double x) {
  switch (op) {
    case kLog1p:
      return SignedLog1p(x);
    case kSqrt:
      return x < 0.0 ? -sqrt(-x) : sqrt(x);
    default:
      return x;
  }
}

// Applies every op in `ops` (a set of PointwiseBit), in PointwiseOp order.
FRESHET_HD double ApplyPointwiseSet(uint32_t ops, double x) {
  for (int32_t k = 0; ops != 0 && k < kPointwiseCount; ++k) {
    if (ops & PointwiseBit(k)) {
      x = ApplyPointwise(k, x);
      ops &= ~PointwiseBit(k);
    }
  }
  return x;
}

// The op called `name`, or -1.
inline int32_t PointwiseByName(const char* name) {
  for (int32_t k = 0; k < kPointwiseCount; ++k) {
    if (std::strcmp(kPointwiseOps[k].name, name) == 0) return k;
  }
  return -1;
}

// The oldest features.json format that can hold a state applying `ops` (at least `floor`).
inline constexpr int PointwiseFormat(uint32_t ops, int floor) {
  int v = floor;
  for (int32_t k = 0; k < kPointwiseCount; ++k) {
    if ((ops & PointwiseBit(k)) && kPointwiseOps[k].since_format > v) {
      v = kPointwiseOps[k].since_format;
    }
  }
  return v;
}

// The newest format any op needs: what a reader of this build accepts at most.
inline constexpr int kPointwiseNewestFormat = PointwiseFormat(~uint32_t{0}, 0);

}  // namespace freshet::kernels
