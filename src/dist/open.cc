// OpenCommunicator: loads libfreshet_mpi.so (src/dist/mpi/communicator.cc) from beside the binary
// on demand, so that a single process never loads MPI.
#include <dlfcn.h>
#include <unistd.h>

#include <string>

#include "freshet/dist.hpp"
#include "freshet/error.hpp"

namespace freshet {

std::unique_ptr<Communicator> OpenCommunicator(const RankInfo& ranks) {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  std::string path = "libfreshet_mpi.so";
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    path = dir.substr(0, dir.find_last_of('/') + 1) + path;
  }
  const std::string who = "rank " + std::to_string(ranks.rank) + " of " +
                          std::to_string(ranks.size) + " (" + ranks.launcher + ")";
  if (::access(path.c_str(), F_OK) != 0) {
    throw Error(ErrorKind::kUsage, "freshet was built without MPI (no " + path + "): cannot run " +
                                       "as " + who + "; run one process, or rebuild with MPI");
  }
  // RTLD_GLOBAL: Open MPI's own plugins look up libmpi's symbols in the global scope.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw IoError(path + ": cannot load the MPI library: " + (why ? why : "?"));
  }
  using Entry = Communicator* (*)();
  const auto entry = reinterpret_cast<Entry>(::dlsym(handle, "freshet_mpi_open"));
  if (entry == nullptr) throw IoError(path + ": not freshet's MPI library (no freshet_mpi_open)");
  std::unique_ptr<Communicator> comm(entry());
  if (comm->size() != ranks.size || comm->rank() != ranks.rank) {
    throw Error(ErrorKind::kInternal, "MPI's world is rank " + std::to_string(comm->rank()) +
                                          " of " + std::to_string(comm->size()) +
                                          ", the launcher said " + who);
  }
  return comm;
}

}  // namespace freshet
