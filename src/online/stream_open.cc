// OpenStreamSource: picks the source for a path.
#include <sys/stat.h>

#include <memory>
#include <string>

#include "freshet/stream.hpp"
#include "src/online/stream_internal.h"

namespace freshet {

std::unique_ptr<StreamSource> OpenStreamSource(const std::string& path, const StreamSchema& schema,
                                               const std::string& pattern,
                                               const StreamPosition* resume) {
  if (path == "-") return stream::OpenFdStream(0, false, "-", schema, resume);
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return stream::OpenChunkFolder(path, schema, pattern, resume);
  }
  return stream::OpenFollowedFile(path, schema, resume);
}

}  // namespace freshet
