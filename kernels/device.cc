#include "kernels/device.h"

#include <stdexcept>

#include "freshet/error.hpp"

namespace freshet {

std::string Device::str() const { return is_cuda() ? "cuda:" + std::to_string(index) : "cpu"; }

Device ResolveDevice(const std::string& setting) {
  if (setting == "cpu") return Device{};
  if (setting == "auto") {
    return CudaDeviceCount() > 0 ? Device{DeviceKind::kCuda, 0} : Device{};
  }
  int index = 0;
  if (setting.rfind("cuda", 0) == 0) {
    if (setting.size() > 4) {
      if (setting[4] != ':' || setting.size() == 5 ||
          setting.find_first_not_of("0123456789", 5) != std::string::npos) {
        throw ConfigError("device: expected auto, cpu, cuda or cuda:N, got \"" + setting + "\"");
      }
      index = std::stoi(setting.substr(5));
    }
    if (!BuiltWithCuda())
      throw ConfigError("device: " + setting + ": freshet was built without CUDA");
    const int count = CudaDeviceCount();
    if (index >= count) {
      throw ConfigError("device: " + setting + ": " + std::to_string(count) +
                        " CUDA device(s) visible");
    }
    return Device{DeviceKind::kCuda, index};
  }
  throw ConfigError("device: expected auto, cpu, cuda or cuda:N, got \"" + setting + "\"");
}

void AssertGpuSupport() {
  if (!BuiltWithCuda()) throw Error(ErrorKind::kUsage, "freshet was built without CUDA");
}

}  // namespace freshet
