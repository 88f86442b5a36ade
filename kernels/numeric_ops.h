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

FRESHET_HD double ApplyPointwise(int32_t op, double x) {
  switch (op) {
    case kLog1p:
      return x < 0.0 ? -log1p(-x) : log1p(x);
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
