// File helpers of a submission folder, private to src/cluster/.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace freshet::cluster_files {

// Parses a JSON file. Throws IoError naming the file when it cannot be read or parsed.
nlohmann::json ReadJson(const std::string& path);

}  // namespace freshet::cluster_files
