// The first stage of a run: which partitions it would read, or why it has nothing to do.
#pragma once

#include <string>
#include <vector>

#include "freshet/config.hpp"
#include "freshet/io.hpp"
#include "freshet/registry.hpp"

namespace freshet {

// Selects the run's inputs (SelectInputs over config.data, reusing the SHA-256 that `registry`
// knows for an unchanged file; `registry` may be null: a model with no registry yet) into
// `inputs`. Returns "" when there is work, else the reason there is none: too few partitions, or
// the model's newest version was trained on the same partitions ("v000003 was trained on the same
// 3 partition(s)"). Throws IoError when the landing folder or a file cannot be read.
std::string DiscoverInputs(const Config& config, const Registry* registry,
                           std::vector<InputFile>* inputs);

}  // namespace freshet
