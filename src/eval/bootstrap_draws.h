// The bootstrap's draws (bootstrap.h, ResampleCounts): a splitmix64 stream per resample and
// Lemire's bounded draws from it, on one stream at a time, or on eight at once with AVX-512.
// Private to src/eval/bootstrap.cc and src/eval/bootstrap_lanes512.cc.
#pragma once

#include <cstdint>

namespace freshet::bootstrap_internal {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// splitmix64's output function.
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A splitmix64 stream: the state advances by the golden gamma, each output is Mix64(state). The
// key of resample r is the r-th output of the stream seeded by Mix64(seed), so every resample has
// its own stream whatever thread draws it.
class DrawStream {
 public:
  DrawStream(uint64_t seed, int64_t resample)
      : state_(Mix64(Mix64(seed) + kGolden * (static_cast<uint64_t>(resample) + 1))) {}

  // The stream whose state is `state` (as state() gave it).
  static DrawStream FromState(uint64_t state) { return DrawStream(state); }
  uint64_t state() const { return state_; }

  uint64_t Next() {
    state_ += kGolden;
    return Mix64(state_);
  }

  // Calls draw(i) `count` times with i uniform in [0, n), 1 <= n < 2^32: two draws from each
  // output, 32 bits each, mapped by Lemire's multiply-shift (2019), which rejects the few low
  // products that would bias it (drawing a replacement from the next output's low half).
  template <typename Fn>
  void Draw(uint32_t n, uint64_t count, Fn&& draw) {
    const uint32_t floor = Floor(n);
    uint64_t j = 0;
    for (; j + 2 <= count; j += 2) DrawPair(Next(), n, floor, draw);
    if (j < count) draw(Bounded(static_cast<uint32_t>(Next()), n, floor));
  }

  // The two draws of output x (the low half's, then the high half's), as Draw takes them.
  template <typename Fn>
  void DrawPair(uint64_t x, uint32_t n, uint32_t floor, Fn&& draw) {
    draw(Bounded(static_cast<uint32_t>(x), n, floor));
    draw(Bounded(static_cast<uint32_t>(x >> 32), n, floor));
  }

  // The products below it are rejected: 2^32 mod n.
  static uint32_t Floor(uint32_t n) { return (0u - n) % n; }

 private:
  explicit DrawStream(uint64_t state) : state_(state) {}

  uint32_t Bounded(uint32_t x, uint32_t n, uint32_t floor) {
    uint64_t m = static_cast<uint64_t>(x) * n;
    while (static_cast<uint32_t>(m) < floor) m = static_cast<uint64_t>(Next() & 0xFFFFFFFFu) * n;
    return static_cast<uint32_t>(m >> 32);
  }

  uint64_t state_;
};

// The next `pairs` pairs of draws (DrawPair) of eight streams at once, whose states are
// states[0..8) (advanced here): draw h (0 or 1) of pair p of stream l at out[(2 p + h) * 8 + l].
// The same draws as DrawStream's, a rejected product replaced as it replaces it. Built with
// AVX-512 (bootstrap_lanes512.cc): call it only where WidestLanes() is 8.
void DrawPairs8(uint64_t* states, uint32_t n, int64_t pairs, uint32_t* out);

}  // namespace freshet::bootstrap_internal
