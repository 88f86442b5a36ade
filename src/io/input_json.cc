// InputFile <-> JSON, with the stat fields that identify a file without reading it.
#include <stdexcept>
#include <string>

#include "freshet/io.hpp"

namespace freshet {

nlohmann::json InputFileToJson(const InputFile& in) {
  return {{"path", in.path},         {"role", in.role},   {"sha256", in.sha256},
          {"rows", in.rows},         {"bytes", in.bytes}, {"mtime_ns", in.mtime_ns},
          {"ctime_ns", in.ctime_ns}, {"inode", in.inode}};
}

InputFile InputFileFromJson(const nlohmann::json& j) {
  InputFile in;
  try {
    in.path = j.at("path").get<std::string>();
    in.role = j.at("role").get<std::string>();
    in.sha256 = j.at("sha256").get<std::string>();
    in.rows = j.value("rows", int64_t{-1});
    in.bytes = j.value("bytes", int64_t{-1});
    in.mtime_ns = j.value("mtime_ns", int64_t{0});
    in.ctime_ns = j.value("ctime_ns", int64_t{0});
    in.inode = j.value("inode", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("an input: ") + e.what());
  }
  return in;
}

}  // namespace freshet
