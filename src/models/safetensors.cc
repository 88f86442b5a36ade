#include "models/safetensors.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "freshet/env.hpp"
#include "freshet/error.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors holds little-endian bytes; this writer copies host memory as is");

namespace freshet {
namespace {

using nlohmann::json;

const std::vector<std::pair<const char*, torch::ScalarType>>& Dtypes() {
  static const std::vector<std::pair<const char*, torch::ScalarType>> kDtypes = {
      {"F32", torch::kFloat32}, {"F64", torch::kFloat64}, {"BF16", torch::kBFloat16},
      {"F16", torch::kFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
      {"I8", torch::kInt8},     {"U8", torch::kUInt8},    {"BOOL", torch::kBool}};
  return kDtypes;
}

const char* DtypeName(torch::ScalarType t) {
  for (const auto& [name, type] : Dtypes()) {
    if (type == t) return name;
  }
  return nullptr;
}

}  // namespace

std::string SafetensorsBytes(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> host;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const char* dtype = DtypeName(t.scalar_type());
    if (!dtype) {
      throw IoError(path + ": cannot write tensor " + name + " of type " +
                    std::string(c10::toString(t.scalar_type())) + " as safetensors");
    }
    host.push_back(t.detach().to(torch::kCPU).contiguous());
    const uint64_t bytes = host.back().nbytes();
    header[name] = {
        {"dtype", dtype}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  // nlohmann sorts object keys; safetensors readers take the order from data_offsets, so the
  // tensors are written in the order their offsets were given above.
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const uint64_t len = text.size();
  std::string out;
  out.reserve(8 + text.size() + offset);
  char len_bytes[8];
  std::memcpy(len_bytes, &len, 8);
  out.append(len_bytes, 8);
  out.append(text);
  for (const auto& t : host) {
    out.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  }
  return out;
}

void WriteSafetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  Env::Default()->WriteFile(path, SafetensorsBytes(path, tensors, metadata));
}

NamedTensors ReadSafetensors(const std::string& path,
                             std::map<std::string, std::string>* metadata) {
  std::string bytes;
  try {
    bytes = Env::Default()->ReadFile(path);
  } catch (const IoError&) {
    throw IoError(path + ": cannot open the safetensors file");
  }
  return ParseSafetensors(bytes, path, metadata);
}

NamedTensors ParseSafetensors(const std::string& bytes, const std::string& path,
                              std::map<std::string, std::string>* metadata) {
  const uint64_t size = bytes.size();
  const auto corrupt = [&path](const std::string& why) {
    return ArtifactError(path + ": not a valid safetensors file (corrupt or truncated?): " + why);
  };
  if (size < 8) throw corrupt("shorter than its 8-byte header length");
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  if (len > size - 8) {
    throw corrupt("header length " + std::to_string(len) + " runs past the end of the file (" +
                  std::to_string(size) + " bytes)");
  }
  const std::string text = bytes.substr(8, len);
  json header;
  try {
    header = json::parse(text);
  } catch (const json::exception& e) {
    throw corrupt(std::string("header is not JSON: ") + e.what());
  }
  if (!header.is_object()) throw corrupt("header is not a JSON object");
  const uint64_t data_size = size - 8 - len;
  struct Entry {
    std::string name;
    torch::ScalarType type;
    std::vector<int64_t> shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (metadata) {
        for (const auto& [k, m] : v.items())
          (*metadata)[k] = m.is_string() ? m.get<std::string>() : m.dump();
      }
      continue;
    }
    try {
      Entry e{name, torch::kFloat32, v.at("shape").get<std::vector<int64_t>>(),
              v.at("data_offsets").at(0).get<uint64_t>(),
              v.at("data_offsets").at(1).get<uint64_t>()};
      const std::string dtype = v.at("dtype").get<std::string>();
      bool known = false;
      for (const auto& [dname, t] : Dtypes()) {
        if (dtype == dname) e.type = t, known = true;
      }
      if (!known) throw corrupt("tensor " + name + " has unknown dtype " + dtype);
      uint64_t elems = 1;
      for (int64_t d : e.shape) {
        if (d < 0) throw corrupt("tensor " + name + " has a negative dimension");
        elems *= static_cast<uint64_t>(d);
      }
      if (e.end < e.begin || e.end - e.begin != elems * c10::elementSize(e.type)) {
        throw corrupt("tensor " + name + ": its shape does not match its byte range");
      }
      entries.push_back(std::move(e));
    } catch (const json::exception& ex) {
      throw corrupt("tensor " + name + ": " + ex.what());
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t expect = 0;
  for (const auto& e : entries) {
    if (e.begin != expect)
      throw corrupt("tensor " + e.name + ": byte ranges overlap or leave a gap");
    expect = e.end;
  }
  if (expect != data_size) {
    throw corrupt("the tensors cover " + std::to_string(expect) + " bytes but the file holds " +
                  std::to_string(data_size));
  }
  NamedTensors out;
  for (const auto& e : entries) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
    std::memcpy(t.data_ptr(), bytes.data() + 8 + len + e.begin, e.end - e.begin);
    out.emplace_back(e.name, t);
  }
  return out;
}

}  // namespace freshet
