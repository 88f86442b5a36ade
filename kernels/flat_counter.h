// A counting hash table of 64-bit keys with open addressing and linear probing: the CPU side of
// the value-count passes (an unordered_map costs a node allocation and a cache miss per new key).
// Keys are hashes already (XXH64), so the low bits index the table directly.
#pragma once

#include <cstdint>
#include <vector>

namespace freshet::kernels {

class FlatCounter {
 public:
  struct Slot {
    uint64_t key = 0;
    int64_t count = 0;  // 0 = empty
    int64_t first_row = 0;
  };

  explicit FlatCounter(int64_t expected = 1024) { Rehash(Capacity(expected)); }

  // Counts one occurrence of `key` at `row` (rows must come in increasing order for first_row to
  // be the smallest).
  void Add(uint64_t key, int64_t row) {
    uint64_t i = key & mask_;
    while (true) {
      Slot& s = slots_[i];
      if (s.count == 0) {
        s = Slot{key, 1, row};
        if (static_cast<uint64_t>(++size_) * 2 > slots_.size()) Rehash(slots_.size() * 2);
        return;
      }
      if (s.key == key) {
        ++s.count;
        return;
      }
      i = (i + 1) & mask_;
    }
  }

  int64_t size() const { return size_; }
  // The occupied slots, in table order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.count > 0) fn(s);
    }
  }

 private:
  static uint64_t Capacity(int64_t expected) {
    uint64_t c = 16;
    while (c < static_cast<uint64_t>(expected) * 2) c *= 2;
    return c;
  }
  void Rehash(uint64_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.count == 0) continue;
      uint64_t i = s.key & mask_;
      while (slots_[i].count != 0) i = (i + 1) & mask_;
      slots_[i] = s;
      ++size_;
    }
  }

  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  int64_t size_ = 0;
};

}  // namespace freshet::kernels
