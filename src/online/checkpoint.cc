// The online checkpoint file (checkpoint.h).
#include "online/checkpoint.h"

#include <cstdlib>
#include <string>

#include "freshet/error.hpp"

namespace freshet::online {
namespace {

constexpr char kMagic[] = "freshet.online_checkpoint/1\n";

}  // namespace

void WriteCheckpoint(Env* env, const std::string& dir, const Checkpoint& c) {
  const std::string json = c.state.dump();
  std::string bytes = kMagic;
  bytes += std::to_string(json.size()) + " " + std::to_string(c.learner.size()) + " " +
           std::to_string(c.champion.size()) + "\n";
  bytes.reserve(bytes.size() + json.size() + c.learner.size() + c.champion.size());
  bytes += json;
  bytes += c.learner;
  bytes += c.champion;
  const std::string path = dir + "/" + kCheckpointFile;
  const std::string tmp = dir + "/." + kCheckpointFile + ".tmp";
  try {
    env->WriteFile(tmp, bytes);
  } catch (...) {
    env->RemoveAll(tmp);
    throw;
  }
  env->Rename(tmp, path);
  env->SyncDir(dir);
}

std::optional<Checkpoint> ReadCheckpoint(Env* env, const std::string& dir) {
  const std::string path = dir + "/" + kCheckpointFile;
  if (!env->Exists(path)) return std::nullopt;
  const std::string bytes = env->ReadFile(path);
  const auto bad = [&](const std::string& why) {
    return ArtifactError(path + ": not a freshet online checkpoint: " + why);
  };
  const size_t magic = sizeof(kMagic) - 1;
  if (bytes.compare(0, magic, kMagic) != 0) throw bad("wrong first line");
  const size_t eol = bytes.find('\n', magic);
  if (eol == std::string::npos) throw bad("no size line");
  const std::string sizes = bytes.substr(magic, eol - magic);
  char* end = nullptr;
  const unsigned long long json = std::strtoull(sizes.c_str(), &end, 10);
  const unsigned long long learner = std::strtoull(end, &end, 10);
  const unsigned long long champion = std::strtoull(end, &end, 10);
  if (*end != '\0') throw bad("malformed size line \"" + sizes + "\"");
  if (bytes.size() - (eol + 1) != json + learner + champion) {
    throw bad("holds " + std::to_string(bytes.size() - eol - 1) + " bytes after its header, " +
              std::to_string(json + learner + champion) + " expected");
  }
  Checkpoint c;
  try {
    c.state = nlohmann::json::parse(bytes.substr(eol + 1, json));
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("invalid JSON: ") + e.what());
  }
  c.learner = bytes.substr(eol + 1 + json, learner);
  c.champion = bytes.substr(eol + 1 + json + learner, champion);
  return c;
}

}  // namespace freshet::online
