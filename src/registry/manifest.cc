// manifest.json: what a version is, where it came from, and how it was made.
#include "freshet/log.hpp"
#include "freshet/registry.hpp"

namespace freshet {

nlohmann::json BuildManifest(const Config& config, const ManifestFields& f) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& in : f.inputs) {
    inputs.push_back(
        {{"path", in.path}, {"role", in.role}, {"rows", in.rows}, {"sha256", in.sha256}});
  }
  const auto parent = f.parent ? nlohmann::json(f.parent->name) : nlohmann::json();
  return {
      {"format", kManifestFormat},
      {"model", config.model},
      {"version", f.version},
      {"parent", parent},
      {"warm_started_from", f.warm_started ? parent : nlohmann::json()},
      {"created", UtcNow()},
      {"config", ConfigToJson(config)},
      {"config_hash", ConfigHash(config)},
      {"code_version", FRESHET_VERSION},
      {"runtime", f.runtime},
      {"device", f.device},
      {"seed", config.train.seed},
      {"inputs", inputs},
      {"parameters", f.parameters},
      {"stage_seconds", f.stage_seconds},
  };
}

}  // namespace freshet
