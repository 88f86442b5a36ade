// File helpers of a submission folder, private to src/cluster/.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace freshet::cluster_files {

// Writes `bytes` to `path` through a temporary file in the same folder, fsynced and renamed into
// place (the folder fsynced too): a reader sees the old file or the whole new one. Throws IoError.
void WriteAtomically(const std::string& path, std::string_view bytes);

// Parses a JSON file. Throws IoError naming the file when it cannot be read or parsed.
nlohmann::json ReadJson(const std::string& path);

}  // namespace freshet::cluster_files
