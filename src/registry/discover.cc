#include "freshet/discover.hpp"

#include <algorithm>

namespace freshet {

std::string DiscoverInputs(const Config& config, const Registry* registry,
                           std::vector<InputFile>* inputs) {
  std::string none;
  *inputs = SelectInputs(config.data.landing, config.data.pattern, config.data.train_window,
                         config.data.eval_window, &none, [registry](const InputFile& in) {
                           return registry != nullptr ? registry->KnownSha256(in) : std::string();
                         });
  if (inputs->empty()) return none;
  if (registry == nullptr) return "";
  const auto models = registry->Models();
  if (std::find(models.begin(), models.end(), config.model) == models.end()) return "";
  const auto versions = registry->Versions(config.model);
  if (!versions.empty() && registry->SameInputs(versions.back(), *inputs)) {
    return versions.back().name + " was trained on the same " + std::to_string(inputs->size()) +
           " partition(s)";
  }
  return "";
}

}  // namespace freshet
