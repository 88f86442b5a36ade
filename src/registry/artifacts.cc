// Verified reads of a version's files: the manifest against the index, every artifact against
// the manifest.
#include "freshet/artifacts.hpp"

#include "freshet/error.hpp"
#include "freshet/registry.hpp"
#include "registry/internal.h"

namespace freshet {
namespace {

using registry_detail::ChecksumMismatch;

nlohmann::json ParseJson(const std::string& text, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ArtifactError(path + ": not valid JSON: " + e.what());
  }
}

class VersionArtifacts final : public ArtifactSource {
 public:
  VersionArtifacts(Env* env, std::string dir, nlohmann::json artifacts)
      : env_(env), dir_(std::move(dir)), artifacts_(std::move(artifacts)) {}

  bool Has(const std::string& name) const override { return artifacts_.contains(name); }

  std::string Read(const std::string& name) const override {
    const std::string path = Describe(name);
    if (!Has(name)) throw IoError(path + ": not an artifact of this version (manifest.json)");
    if (!env_->Exists(path)) throw ArtifactError(path + ": missing (manifest.json records it)");
    std::string bytes = env_->ReadFile(path);
    const nlohmann::json& rec = artifacts_[name];
    const std::string expected = rec.value("sha256", "");
    const int64_t size = rec.value("bytes", int64_t{-1});
    if (size >= 0 && static_cast<int64_t>(bytes.size()) != size) {
      throw ArtifactError(path + ": " + std::to_string(bytes.size()) +
                          " bytes, manifest.json records " + std::to_string(size) +
                          " (truncated or changed); SHA-256 " + Sha256(bytes) + ", expected " +
                          expected);
    }
    const std::string actual = Sha256(bytes);
    if (actual != expected) throw ChecksumMismatch(path, actual, expected, "manifest.json");
    return bytes;
  }

  std::string Describe(const std::string& name) const override { return dir_ + "/" + name; }

 private:
  Env* env_;
  std::string dir_;
  nlohmann::json artifacts_;
};

}  // namespace

bool FolderArtifacts::Has(const std::string& name) const {
  return Env::Default()->Exists(Describe(name));
}

std::string FolderArtifacts::Read(const std::string& name) const {
  return Env::Default()->ReadFile(Describe(name));
}

void FolderArtifacts::Write(const std::string& name, std::string_view bytes) {
  Env::Default()->WriteFile(Describe(name), bytes);
}

nlohmann::json Registry::Manifest(const VersionInfo& v) const {
  const std::string path = v.path + "/" + kManifestFile;
  if (!env_->Exists(path)) {
    throw ArtifactError(path + ": missing (the version folder is damaged)");
  }
  const std::string text = env_->ReadFile(path);
  const std::string actual = Sha256(text);
  if (actual != v.manifest_sha256) {
    throw ChecksumMismatch(path, actual, v.manifest_sha256, "the registry index");
  }
  nlohmann::json manifest = ParseJson(text, path);
  const std::string format = manifest.value("format", std::string(kManifestFormat));
  if (format != kManifestFormat) {
    throw ArtifactError(path + ": manifest format \"" + format + "\" is not " + kManifestFormat +
                        " (written by a newer freshet?); use a freshet that reads it");
  }
  return manifest;
}

std::unique_ptr<ArtifactSource> Registry::Artifacts(const VersionInfo& v) const {
  const nlohmann::json manifest = Manifest(v);
  const auto it = manifest.find("artifacts");
  if (it == manifest.end() || !it->is_object()) {
    throw IoError(v.path + "/" + kManifestFile + ": records no artifacts");
  }
  return std::make_unique<VersionArtifacts>(env_, v.path, *it);
}

FeatureState Registry::LoadFeatureState(const VersionInfo& v) const {
  const auto artifacts = Artifacts(v);
  const std::string path = artifacts->Describe(kFeaturesFile);
  return FeatureState::FromJson(ParseJson(artifacts->Read(kFeaturesFile), path), path);
}

}  // namespace freshet
