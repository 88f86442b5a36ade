// Files of a model outside its versions: the editable schema.yaml, and the reports of runs that
// published nothing (<model>/runs/<run>/).
#include "freshet/registry.hpp"

namespace freshet {
namespace {

void AtomicWrite(Env* env, const std::string& dir, const std::string& name,
                 std::string_view bytes) {
  const std::string tmp = dir + "/.write-" + name;
  try {
    env->WriteFile(tmp, bytes);
    env->Rename(tmp, dir + "/" + name);
  } catch (...) {
    env->RemoveAll(tmp);
    throw;
  }
  env->SyncDir(dir);
}

void EnsureDir(Env* env, const std::string& parent, const std::string& name) {
  const std::string dir = parent + "/" + name;
  if (env->IsDir(dir)) return;
  env->CreateDir(dir);
  env->SyncDir(parent);
}

}  // namespace

std::optional<std::string> Registry::ReadModelFile(const std::string& model,
                                                   const std::string& name) const {
  const std::string path = ModelDir(model) + "/" + name;
  if (!env_->Exists(path)) return std::nullopt;
  return env_->ReadFile(path);
}

void ModelWriter::WriteModelFile(const std::string& name, std::string_view bytes) {
  AtomicWrite(registry_->env(), registry_->ModelDir(model_), name, bytes);
}

std::string ModelWriter::WriteRunFile(int64_t run, const std::string& name,
                                      std::string_view bytes) {
  Env* env = registry_->env();
  const std::string model_dir = registry_->ModelDir(model_);
  EnsureDir(env, model_dir, "runs");
  char run_name[32];
  std::snprintf(run_name, sizeof run_name, "%06lld", static_cast<long long>(run));
  EnsureDir(env, model_dir + "/runs", run_name);
  const std::string dir = model_dir + "/runs/" + run_name;
  AtomicWrite(env, dir, name, bytes);
  return dir + "/" + name;
}

}  // namespace freshet
