// PrepareGate: the registry's side of the data gate.
#include <set>

#include "freshet/data_gate.hpp"
#include "freshet/error.hpp"
#include "freshet/registry.hpp"

namespace freshet {

GateSetup PrepareGate(const Registry& registry, const Config& config,
                      const std::optional<VersionInfo>& reference,
                      const std::vector<InputFile>& inputs) {
  GateSetup g;
  if (auto text = registry.ReadModelFile(config.model, kSchemaFile)) {
    g.schema = ParseSchema(*text, registry.ModelDir(config.model) + "/" + kSchemaFile);
  }
  std::set<std::string> seen;
  if (reference) {
    const auto artifacts = registry.Artifacts(*reference);
    if (artifacts->Has(kProfileFile)) {
      const std::string where = artifacts->Describe(kProfileFile);
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(artifacts->Read(kProfileFile));
      } catch (const nlohmann::json::exception& e) {
        throw ArtifactError(where + ": not JSON: " + e.what());
      }
      g.reference.profile = ProfileFromJson(j, where);
      g.reference.name = reference->name;
    }
    for (const auto& in : registry.Inputs(*reference)) {
      seen.insert(in.sha256);
      if (in.rows >= 0) g.reference.recent_rows.push_back(in.rows);
    }
  }
  for (const auto& in : inputs) g.fresh.push_back(!seen.count(in.sha256));
  return g;
}

}  // namespace freshet
