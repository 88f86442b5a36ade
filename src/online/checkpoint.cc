// The online checkpoint file (checkpoint.h).
#include "online/checkpoint.h"

#include <cstdint>
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
  try {
    env->Rename(tmp, path);
  } catch (...) {
    env->RemoveAll(tmp);
    throw;
  }
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
  // Three decimal counts separated by single spaces, each within the file.
  uint64_t size[3] = {0, 0, 0};
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t begin = at;
    while (at < sizes.size() && sizes[at] >= '0' && sizes[at] <= '9' && at - begin < 18) {
      size[i] = size[i] * 10 + static_cast<uint64_t>(sizes[at++] - '0');
    }
    const bool last = i == 2;
    if (at == begin || (last ? at != sizes.size() : (at >= sizes.size() || sizes[at] != ' '))) {
      throw bad("malformed size line \"" + sizes + "\"");
    }
    ++at;
  }
  const uint64_t json = size[0], learner = size[1], champion = size[2];
  const uint64_t body = bytes.size() - (eol + 1);
  if (json > body || learner > body || champion > body || json + learner + champion != body) {
    throw bad("holds " + std::to_string(body) + " bytes after its header, " +
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
