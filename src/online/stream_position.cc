// StreamPosition: its JSON form (in checkpoints and manifests) and its one-word description.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "freshet/error.hpp"
#include "freshet/stream.hpp"

namespace freshet {
namespace {

[[noreturn]] void Bad(const std::string& what) { throw ConfigError("stream position: " + what); }

std::string StringField(const nlohmann::json& j, const char* key, bool required) {
  const auto it = j.find(key);
  if (it == j.end()) {
    if (required) Bad(std::string("missing key \"") + key + "\"");
    return "";
  }
  if (!it->is_string()) Bad(std::string(key) + ": expected a string, got " + it->dump());
  return it->get<std::string>();
}

int64_t IntegerField(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return 0;
  if (!it->is_number_integer()) Bad(std::string(key) + ": expected an integer, got " + it->dump());
  const int64_t v = it->get<int64_t>();
  if (v < 0) Bad(std::string(key) + ": expected an integer >= 0, got " + it->dump());
  return v;
}

}  // namespace

nlohmann::json StreamPosition::ToJson() const {
  return {
      {"kind", kind}, {"file", file}, {"offset", offset}, {"inode", inode}, {"records", records}};
}

StreamPosition StreamPosition::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) Bad("expected an object, got " + j.dump());
  StreamPosition p;
  p.kind = StringField(j, "kind", true);
  if (p.kind != "stdin" && p.kind != "file" && p.kind != "folder") {
    Bad("kind: expected stdin, file or folder, got \"" + p.kind + "\"");
  }
  p.file = StringField(j, "file", false);
  p.offset = IntegerField(j, "offset");
  p.inode = IntegerField(j, "inode");
  p.records = IntegerField(j, "records");
  return p;
}

std::string StreamPosition::Describe() const {
  if (kind == "stdin") return "stdin@" + std::to_string(offset);
  if (kind == "folder") {
    return file.empty() ? "(before the first chunk)" : file + "#" + std::to_string(offset);
  }
  return file + "@" + std::to_string(offset);
}

}  // namespace freshet
