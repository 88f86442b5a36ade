// Loading the training library (LibTorch, a few hundred megabytes of shared objects) ahead of its
// first use, beside work that does not need it.
#pragma once

#include <thread>

namespace freshet {

// Opens the training library on a thread of its own while the caller goes on (a run that will
// train reads its inputs meanwhile). Destroying it waits for the load to finish. A library that
// cannot be loaded is reported by the first call that needs it, as without a preload; a process
// that never trains never constructs one, so it never loads LibTorch.
class TorchPreload {
 public:
  TorchPreload();
  ~TorchPreload();
  TorchPreload(const TorchPreload&) = delete;
  TorchPreload& operator=(const TorchPreload&) = delete;

 private:
  std::thread loader_;
};

}  // namespace freshet
