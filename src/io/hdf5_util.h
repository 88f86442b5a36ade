// Private helpers shared by the HDF5 reader and writer: an owning hid_t handle, the library-wide
// lock and the innermost message of HDF5's error stack.
#pragma once

#include <hdf5.h>

#include <mutex>
#include <string>
#include <utility>

namespace freshet {
namespace hdf5 {

// Owns one HDF5 identifier and closes it with `Close` (H5Fclose, H5Dclose, ...). Move-only.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Handle() { Reset(); }

  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

  // Closes the identifier now. Returns false when HDF5 reports a failure (e.g. a write that could
  // not be flushed when a file is closed).
  bool Reset() {
    bool closed = true;
    if (id_ >= 0) closed = Close(id_) >= 0;
    id_ = H5I_INVALID_HID;
    return closed;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Space = Handle<H5Sclose>;
using Type = Handle<H5Tclose>;
using Plist = Handle<H5Pclose>;

// The serial HDF5 library is not thread-safe: every use of it in freshet holds this lock. It also
// turns off HDF5's printing of its error stack to stderr (failures become exceptions instead).
inline std::unique_lock<std::mutex> Lock() {
  static std::mutex mu;
  std::unique_lock<std::mutex> lock(mu);
  static const bool kSilenced = (H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), true);
  (void)kSilenced;
  return lock;
}

// Returns ": <detail>" with the most specific message on HDF5's current error stack (where the
// failure was detected, e.g. "truncated file: eof = 800, ..."), or "" when the stack is empty.
inline std::string LastError() {
  std::string detail;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
        if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
        return 0;
      },
      &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail.empty() ? "" : ": " + detail;
}

}  // namespace hdf5
}  // namespace freshet
