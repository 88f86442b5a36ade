// The safetensors format, written and read without the Python package: an 8-byte little-endian
// header length, a JSON header ({"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin,
// end]}, ..., "__metadata__": {"k": "v"}}) padded with spaces to a multiple of 8 bytes, then the
// tensors' raw little-endian row-major bytes back to back, in header order.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace freshet {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// The file's bytes for `tensors` (any device; F32, F64, BF16, F16, I64, I32, I8, U8 or BOOL),
// with string `metadata`. Throws IoError naming `path` for a tensor type safetensors lacks.
std::string SafetensorsBytes(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata = {});
// Writes SafetensorsBytes() to `path` (fsynced). Throws IoError naming the path.
void WriteSafetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads every tensor of `path` onto the CPU, in file order. Throws IoError naming the path and
// what is wrong for a file that is not valid safetensors: too short, a header length beyond the
// file, invalid JSON, an unknown dtype, a shape that does not match its byte range, byte ranges
// outside the data, overlapping or leaving gaps.
NamedTensors ReadSafetensors(const std::string& path,
                             std::map<std::string, std::string>* metadata = nullptr);
// The same for a file's bytes; `path` names it in errors.
NamedTensors ParseSafetensors(const std::string& bytes, const std::string& path,
                              std::map<std::string, std::string>* metadata = nullptr);

}  // namespace freshet
