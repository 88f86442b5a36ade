// The files of a version, by name, and the two interfaces through which the stages read and write
// them: the registry implements both (checking every read against the manifest's SHA-256, writing
// through its filesystem seam), so no stage opens a version's files by path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace freshet {

// The artifacts of a version folder.
inline constexpr const char kManifestFile[] = "manifest.json";
inline constexpr const char kFeaturesFile[] = "features.json";
inline constexpr const char kEvalFile[] = "eval.json";
// The main model's checkpoint, weights and architecture, and the same for the linear fallback.
inline constexpr const char* kModelFiles[] = {"model.pt", "model.safetensors", "model.json"};
inline constexpr const char* kFallbackFiles[] = {"model.fallback.pt", "model.fallback.safetensors",
                                                 "model.fallback.json"};

// Where a stage reads a version's artifacts from. Implementations are not required to be
// thread-safe.
class ArtifactSource {
 public:
  virtual ~ArtifactSource() = default;
  // Whether the artifact exists (for the registry: is recorded in the manifest).
  virtual bool Has(const std::string& name) const = 0;
  // The artifact's bytes. Throws IoError naming the file when it is missing or unreadable, and,
  // for the registry, when its SHA-256 differs from the manifest's (both checksums in the message).
  virtual std::string Read(const std::string& name) const = 0;
  // The artifact's path, for messages.
  virtual std::string Describe(const std::string& name) const = 0;
};

// Where a stage writes a new version's artifacts to. Write() either stores all of `bytes` durably
// or throws IoError naming the file.
class ArtifactSink {
 public:
  virtual ~ArtifactSink() = default;
  virtual void Write(const std::string& name, std::string_view bytes) = 0;
  virtual std::string Describe(const std::string& name) const = 0;
};

// A plain folder as a source and a sink, with no checksums: for tests and tools that work on
// loose files. Writes go through the default Env (fsynced). The folder must exist.
class FolderArtifacts final : public ArtifactSource, public ArtifactSink {
 public:
  explicit FolderArtifacts(std::string dir) : dir_(std::move(dir)) {}
  bool Has(const std::string& name) const override;
  std::string Read(const std::string& name) const override;
  void Write(const std::string& name, std::string_view bytes) override;
  std::string Describe(const std::string& name) const override { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

}  // namespace freshet
