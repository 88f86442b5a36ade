#include "cluster/files.h"

#include <unistd.h>

#include <filesystem>

#include "freshet/env.hpp"
#include "freshet/error.hpp"

namespace freshet::cluster_files {

void WriteAtomically(const std::string& path, std::string_view bytes) {
  Env* env = Env::Default();
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    env->WriteFile(tmp, bytes);
    env->Rename(tmp, path);
  } catch (...) {
    env->RemoveAll(tmp);
    throw;
  }
  env->SyncDir(std::filesystem::path(path).parent_path().string());
}

nlohmann::json ReadJson(const std::string& path) {
  const std::string text = Env::Default()->ReadFile(path);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw IoError(path + ": not valid JSON");
  return j;
}

}  // namespace freshet::cluster_files
