#include "cluster/files.h"

#include "freshet/env.hpp"
#include "freshet/error.hpp"

namespace freshet::cluster_files {

nlohmann::json ReadJson(const std::string& path) {
  const std::string text = Env::Default()->ReadFile(path);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw IoError(path + ": not valid JSON");
  return j;
}

}  // namespace freshet::cluster_files
