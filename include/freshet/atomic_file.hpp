// Writing a file that a reader must see whole or not at all (a report, a plan, a JSON document).
#pragma once

#include <string>
#include <string_view>

#include "freshet/env.hpp"

namespace freshet {

// Writes `bytes` to a temporary file beside `path` (fsynced), renames it into place and fsyncs the
// folder: a reader sees the old file or the whole new one, never half of it. On failure the
// temporary file is removed and IoError (naming the path) propagates.
void WriteFileAtomically(const std::string& path, std::string_view bytes,
                         Env* env = Env::Default());

}  // namespace freshet
