#include "freshet/atomic_file.hpp"

#include <unistd.h>

#include <filesystem>

namespace freshet {

void WriteFileAtomically(const std::string& path, std::string_view bytes, Env* env) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  try {
    env->WriteFile(tmp, bytes);
    env->Rename(tmp, path);
  } catch (...) {
    env->RemoveAll(tmp);
    throw;
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  env->SyncDir(dir.empty() ? "." : dir);
}

}  // namespace freshet
