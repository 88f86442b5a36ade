// Data-parallel ranks: which rank this process is, the communicator the ranks talk through, and
// the pure pieces of the data split (which partitions a rank reads, how the ranks' tables make the
// one global table, which rows of a global batch a rank computes).
//
// A plain run (no launcher, or one process) never loads or initialises MPI. Under `mpirun -np N`
// or `srun -n N` (N > 1) the CLI opens a Communicator (OpenCommunicator), which loads
// libfreshet_mpi.so from beside the binary and calls MPI_Init; the training library only sees this
// interface, so LibTorch's library does not link MPI.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "freshet/table.hpp"

namespace freshet {

// This process's place among the job's ranks, as the launcher set it.
struct RankInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;    // rank among the ranks on this node (for picking a GPU)
  std::string launcher;  // "mpirun", "srun" or "" (a single process)
};

// Reads the launcher's environment through `get` (getenv by default): OpenMPI's
// OMPI_COMM_WORLD_SIZE / OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_LOCAL_RANK first, else a Slurm
// step's SLURM_STEP_NUM_TASKS / SLURM_PROCID / SLURM_LOCALID (srun), else PMIX_RANK with
// SLURM_NTASKS. A batch script's own process (SLURM_NTASKS without a step) and a job array's task
// are single processes. FRESHET_DATA_PARALLEL=0 forces a single process. Throws ConfigError when
// the variables are malformed (a rank outside [0, size)).
RankInfo DetectRanks(const std::function<const char*(const char*)>& get = nullptr);

// The ranks' collective operations. Every rank must call each collective in the same order.
// Implementations are not thread-safe. A collective that cannot complete (a rank died) does not
// return: the launcher ends the job.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Element-wise sum over the ranks of `n` values at `data`, in place, the same result on every
  // rank.
  virtual void AllReduceSum(double* data, int64_t n) = 0;
  virtual void AllReduceSum(float* data, int64_t n) = 0;
  // The largest of the ranks' `value`s, on every rank.
  virtual int64_t AllReduceMax(int64_t value) = 0;
  // Every rank's `mine`, by rank, on every rank. Each rank's bytes must be under 2 GiB.
  virtual std::vector<std::string> AllGather(const std::string& mine) = 0;
  // Rank `root`'s `bytes` on every rank (*bytes is replaced on the others).
  virtual void Broadcast(std::string* bytes, int root) = 0;
  // Ends every rank of the job at once with exit code `code` (MPI_Abort). Does not return.
  [[noreturn]] virtual void Abort(int code) = 0;
};

// Initialises MPI for `ranks` (ranks.size > 1) by loading libfreshet_mpi.so from beside the
// binary. Throws Error(kUsage) "freshet was built without MPI" when the library is not there, and
// Error when MPI's world does not match `ranks`. The communicator finalises MPI when destroyed.
std::unique_ptr<Communicator> OpenCommunicator(const RankInfo& ranks);

// The indices i of `count` partitions that rank `rank` of `size` reads: i % size == rank, in
// increasing order.
std::vector<size_t> PartitionsOfRank(size_t count, int rank, int size);

// The rows of a global mini-batch of `rows` rows that rank `rank` of `size` computes: j with
// j % size == rank. Returns their number.
int64_t StripeRows(int64_t rows, int rank, int size);

// Serialises a table (columns with their dtypes, values, strings and validity) to bytes and back.
// ParseTable throws DataError for bytes that are not a serialised table.
std::string SerializeTable(const Table& table);
Table ParseTable(const std::string& bytes);

// One rank's share of a role's partitions: its rows in partition order (the table), and the row
// count of each of its partitions, in the same order.
struct TableShare {
  Table table;
  std::vector<int64_t> partition_rows;
};

// The global table of a role's partitions from the ranks' shares (`shares[r]` is rank r's):
// `owners[k]` is the rank that read the role's k-th partition (in global order), and each share
// holds its partitions in that order. Partition k's rows are taken from its rank's table and the
// partitions appended in global order, so the result equals one process reading every partition
// in order. Columns whose numeric widths differ between ranks are widened as the data gate does
// (integers to i64, other numbers to f64). Throws DataError when the shares do not add up (a
// rank's partition counts or rows) or a column is a string on one rank and a number on another.
Table AssembleGlobal(const std::vector<TableShare>& shares, const std::vector<int>& owners);

// AllGather of every rank's `share` and AssembleGlobal: the global table on every rank. When
// `partition_rows` is not null it receives the row count of each of the role's partitions, in
// global order.
Table GatherTable(Communicator& comm, const TableShare& share, const std::vector<int>& owners,
                  std::vector<int64_t>* partition_rows = nullptr);

}  // namespace freshet
