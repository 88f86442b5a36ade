// libfreshet_mpi.so: the Communicator of include/freshet/dist.hpp over MPI. The freshet binary
// loads it (src/dist/open.cc) only when the launcher started more than one rank, so a plain run
// never loads MPI.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "freshet/dist.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

void Check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(ErrorKind::kInternal, std::string(what) + ": " + std::string(text, len));
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready) Check(MPI_Init(nullptr, nullptr), "MPI_Init");
    // Errors come back as codes (thrown with context), not as MPI's abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCommunicator() override {
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void AllReduceSum(double* data, int64_t n) override { Reduce(data, n, MPI_DOUBLE); }
  void AllReduceSum(float* data, int64_t n) override { Reduce(data, n, MPI_FLOAT); }

  int64_t AllReduceMax(int64_t value) override {
    int64_t out = 0;
    Check(MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return out;
  }

  std::vector<std::string> AllGather(const std::string& mine) override {
    if (mine.size() > static_cast<size_t>(INT_MAX)) {
      throw Error(ErrorKind::kInternal, "rank " + std::to_string(rank_) + ": " +
                                            std::to_string(mine.size()) +
                                            " bytes to gather, over MPI's 2 GiB per rank");
    }
    const int n = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
    Check(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD),
          "MPI_Allgather");
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[static_cast<size_t>(r)] = static_cast<int>(total);
      total += counts[static_cast<size_t>(r)];
    }
    if (total > INT_MAX) {
      throw Error(ErrorKind::kInternal,
                  std::to_string(total) + " bytes gathered in all, over MPI_Allgatherv's 2 GiB");
    }
    std::string all(static_cast<size_t>(total), '\0');
    Check(MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(),
                         MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r) {
      out.push_back(all.substr(static_cast<size_t>(displs[static_cast<size_t>(r)]),
                               static_cast<size_t>(counts[static_cast<size_t>(r)])));
    }
    return out;
  }

  void Broadcast(std::string* bytes, int root) override {
    uint64_t n = bytes->size();
    Check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
    if (n > static_cast<uint64_t>(INT_MAX)) {
      throw Error(ErrorKind::kInternal, "broadcast of " + std::to_string(n) + " bytes");
    }
    bytes->resize(n);
    Check(MPI_Bcast(bytes->data(), static_cast<int>(n), MPI_BYTE, root, MPI_COMM_WORLD),
          "MPI_Bcast");
  }

  [[noreturn]] void Abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  // In chunks of at most INT_MAX elements (MPI's counts are int).
  void Reduce(void* data, int64_t n, MPI_Datatype type) {
    int width = 0;
    MPI_Type_size(type, &width);
    char* p = static_cast<char*>(data);
    for (int64_t at = 0; at < n; at += INT_MAX) {
      const int k = static_cast<int>(std::min<int64_t>(INT_MAX, n - at));
      Check(MPI_Allreduce(MPI_IN_PLACE, p + at * width, k, type, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce");
    }
  }

  int rank_ = 0, size_ = 1;
};

}  // namespace
}  // namespace freshet

// The library's one exported symbol (the dlsym contract of src/dist/open.cc): a new communicator
// that owns MPI's initialisation. NOLINTNEXTLINE(readability-identifier-naming)
extern "C" __attribute__((visibility("default"))) freshet::Communicator* freshet_mpi_open() {
  return new freshet::MpiCommunicator();
}
