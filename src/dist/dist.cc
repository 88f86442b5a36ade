// The pure pieces of the data split (include/freshet/dist.hpp): ranks from the launcher's
// environment, partition and batch stripes, and the global table from the ranks' shares.
#include <cstdlib>
#include <cstring>

#include "freshet/dist.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

bool ParseInt(const char* s, int* out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (*end != '\0' || v < 0 || v > (1 << 24)) return false;
  *out = static_cast<int>(v);
  return true;
}

// Appends raw bytes, and reads them back with bounds checks.
class Writer {
 public:
  void Put(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  void PutU64(uint64_t v) { Put(&v, sizeof(v)); }
  template <typename T>
  void PutVector(const std::vector<T>& v) {
    PutU64(v.size());
    if (!v.empty()) Put(v.data(), v.size() * sizeof(T));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  void Get(void* p, size_t n) {
    if (n > in_.size() - pos_) throw DataError("gathered table: truncated bytes");
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  uint64_t GetU64() {
    uint64_t v = 0;
    Get(&v, sizeof(v));
    return v;
  }
  template <typename T>
  std::vector<T> GetVector() {
    const uint64_t n = GetU64();
    if (n > (in_.size() - pos_) / sizeof(T)) throw DataError("gathered table: truncated bytes");
    std::vector<T> v(n);
    if (n > 0) Get(v.data(), n * sizeof(T));
    return v;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  const std::string& in_;
  size_t pos_ = 0;
};

constexpr uint64_t kTableMagic = 0x31626174746b7266ULL;  // "frkttab1"

bool IsInteger(DType t) { return t == DType::kI32 || t == DType::kI64; }

// `c` converted to `to` (i64 from i32, f64 from any number), validity kept.
Column Widened(const Column& c, DType to) {
  if (c.dtype == to) return c;
  Column out;
  out.name = c.name;
  out.dtype = to;
  out.rows = c.rows;
  out.valid = c.valid;
  if (to == DType::kI64) {
    std::vector<int64_t> v(static_cast<size_t>(c.rows));
    for (int64_t i = 0; i < c.rows; ++i) v[static_cast<size_t>(i)] = c.values<int32_t>()[i];
    out.data.resize(v.size() * sizeof(int64_t));
    if (!v.empty()) std::memcpy(out.data.data(), v.data(), out.data.size());
    return out;
  }
  std::vector<double> v(static_cast<size_t>(c.rows));
  for (int64_t i = 0; i < c.rows; ++i) {
    switch (c.dtype) {
      case DType::kF32:
        v[static_cast<size_t>(i)] = c.values<float>()[i];
        break;
      case DType::kI32:
        v[static_cast<size_t>(i)] = c.values<int32_t>()[i];
        break;
      case DType::kI64:
        v[static_cast<size_t>(i)] = static_cast<double>(c.values<int64_t>()[i]);
        break;
      default:
        v[static_cast<size_t>(i)] = c.values<double>()[i];
    }
  }
  out.data.resize(v.size() * sizeof(double));
  if (!v.empty()) std::memcpy(out.data.data(), v.data(), out.data.size());
  return out;
}

}  // namespace

RankInfo DetectRanks(const std::function<const char*(const char*)>& get) {
  const auto env = [&get](const char* name) { return get ? get(name) : std::getenv(name); };
  RankInfo r;
  const char* off = env("FRESHET_DATA_PARALLEL");
  if (off != nullptr && std::string(off) == "0") return r;
  const auto take = [&](const char* size, const char* rank, const char* local, const char* who) {
    int n = 0, k = 0, l = 0;
    if (!ParseInt(size, &n) || !ParseInt(rank, &k) || n < 1 || k >= n) {
      throw ConfigError(std::string(who) + ": rank \"" + (rank ? rank : "") + "\" of \"" +
                        (size ? size : "") + "\" ranks is not a rank of the job");
    }
    r.size = n;
    r.rank = k;
    r.local_rank = ParseInt(local, &l) ? l : 0;
    r.launcher = n > 1 ? who : "";
  };
  if (env("OMPI_COMM_WORLD_SIZE") != nullptr) {
    take(env("OMPI_COMM_WORLD_SIZE"), env("OMPI_COMM_WORLD_RANK"),
         env("OMPI_COMM_WORLD_LOCAL_RANK"), "mpirun");
  } else if (env("SLURM_STEP_NUM_TASKS") != nullptr && env("SLURM_PROCID") != nullptr) {
    take(env("SLURM_STEP_NUM_TASKS"), env("SLURM_PROCID"), env("SLURM_LOCALID"), "srun");
  } else if (env("PMIX_RANK") != nullptr && env("SLURM_NTASKS") != nullptr) {
    take(env("SLURM_NTASKS"), env("PMIX_RANK"), env("SLURM_LOCALID"), "srun");
  }
  return r;
}

std::vector<size_t> PartitionsOfRank(size_t count, int rank, int size) {
  FRESHET_CHECK(size >= 1 && rank >= 0 && rank < size, "rank outside the job");
  std::vector<size_t> out;
  for (size_t i = static_cast<size_t>(rank); i < count; i += static_cast<size_t>(size)) {
    out.push_back(i);
  }
  return out;
}

int64_t StripeRows(int64_t rows, int rank, int size) {
  FRESHET_CHECK(size >= 1 && rank >= 0 && rank < size, "rank outside the job");
  return rows > rank ? (rows - rank + size - 1) / size : 0;
}

std::string SerializeTable(const Table& table) {
  Writer w;
  w.PutU64(kTableMagic);
  w.PutU64(table.columns.size());
  for (const auto& c : table.columns) {
    w.PutVector(std::vector<char>(c.name.begin(), c.name.end()));
    w.PutU64(static_cast<uint64_t>(c.dtype));
    w.PutU64(static_cast<uint64_t>(c.rows));
    w.PutVector(c.data);
    w.PutVector(c.bytes);
    w.PutVector(c.offsets);
    w.PutVector(c.valid);
  }
  return w.Take();
}

Table ParseTable(const std::string& bytes) {
  Reader r(bytes);
  if (bytes.size() < 16 || r.GetU64() != kTableMagic) {
    throw DataError("gathered table: not a serialised table");
  }
  Table t;
  const uint64_t n = r.GetU64();
  for (uint64_t j = 0; j < n; ++j) {
    Column c;
    const auto name = r.GetVector<char>();
    c.name.assign(name.begin(), name.end());
    const uint64_t dtype = r.GetU64();
    if (dtype > static_cast<uint64_t>(DType::kString)) {
      throw DataError("gathered table: column \"" + c.name + "\" has an unknown dtype");
    }
    c.dtype = static_cast<DType>(dtype);
    c.rows = static_cast<int64_t>(r.GetU64());
    c.data = r.GetVector<uint8_t>();
    c.bytes = r.GetVector<char>();
    c.offsets = r.GetVector<int64_t>();
    c.valid = r.GetVector<uint8_t>();
    t.columns.push_back(std::move(c));
  }
  if (!r.done()) throw DataError("gathered table: trailing bytes");
  return t;
}

Table AssembleGlobal(const std::vector<TableShare>& shares, const std::vector<int>& owners) {
  const int size = static_cast<int>(shares.size());
  FRESHET_CHECK(size >= 1, "no shares");
  // Where each partition sits in its rank's share.
  std::vector<size_t> slot(owners.size());
  std::vector<size_t> held(shares.size(), 0);
  for (size_t k = 0; k < owners.size(); ++k) {
    FRESHET_CHECK(owners[k] >= 0 && owners[k] < size, "a partition's rank is outside the job");
    slot[k] = held[static_cast<size_t>(owners[k])]++;
  }
  // The dtype of each column: one where the ranks agree, else the widened one.
  const Table* first = nullptr;
  for (const auto& s : shares) {
    if (!s.table.columns.empty()) {
      first = &s.table;
      break;
    }
  }
  if (first == nullptr) return Table();
  std::vector<DType> dtypes;
  for (const auto& c : first->columns) dtypes.push_back(c.dtype);
  for (int r = 0; r < size; ++r) {
    const TableShare& s = shares[static_cast<size_t>(r)];
    int64_t rows = 0;
    for (int64_t k : s.partition_rows) rows += k;
    if (s.partition_rows.size() != held[static_cast<size_t>(r)] || rows != s.table.rows()) {
      throw DataError("rank " + std::to_string(r) + " sent " +
                      std::to_string(s.partition_rows.size()) + " partition(s) of " +
                      std::to_string(rows) + " rows in a table of " +
                      std::to_string(s.table.rows()) + " rows; expected " +
                      std::to_string(held[static_cast<size_t>(r)]) + " partition(s)");
    }
    if (s.table.columns.empty()) continue;
    if (s.table.columns.size() != dtypes.size()) {
      throw DataError("rank " + std::to_string(r) + " read other columns than rank 0's");
    }
    for (size_t j = 0; j < dtypes.size(); ++j) {
      const Column& c = s.table.columns[j];
      if (c.name != first->columns[j].name) {
        throw DataError("rank " + std::to_string(r) + " read column \"" + c.name + "\" where " +
                        "another rank read \"" + first->columns[j].name + "\"");
      }
      if (c.dtype == dtypes[j]) continue;
      if (c.is_string() || dtypes[j] == DType::kString) {
        throw DataError("column \"" + c.name + "\" is stored as " + DTypeName(c.dtype) +
                        " in rank " + std::to_string(r) + "'s partitions and as " +
                        DTypeName(dtypes[j]) + " in another rank's");
      }
      dtypes[j] = IsInteger(c.dtype) && IsInteger(dtypes[j]) ? DType::kI64 : DType::kF64;
    }
  }
  std::vector<std::vector<int64_t>> starts(shares.size());
  for (size_t r = 0; r < shares.size(); ++r) {
    int64_t at = 0;
    for (int64_t k : shares[r].partition_rows) {
      starts[r].push_back(at);
      at += k;
    }
  }
  Table out;
  bool empty = true;
  for (size_t i = 0; i < owners.size(); ++i) {
    const size_t r = static_cast<size_t>(owners[i]), k = slot[i];
    const TableShare& s = shares[r];
    if (s.table.columns.empty()) continue;
    std::vector<int64_t> rows(static_cast<size_t>(s.partition_rows[k]));
    for (size_t j = 0; j < rows.size(); ++j) rows[j] = starts[r][k] + static_cast<int64_t>(j);
    Table part = rows.size() == static_cast<size_t>(s.table.rows()) ? s.table : s.table.Take(rows);
    for (size_t j = 0; j < dtypes.size(); ++j) {
      if (part.columns[j].dtype != dtypes[j]) {
        part.columns[j] = Widened(part.columns[j], dtypes[j]);
      }
    }
    if (empty) {
      out = std::move(part);
      empty = false;
    } else {
      out.Append(part);
    }
  }
  return out;
}

Table GatherTable(Communicator& comm, const TableShare& share, const std::vector<int>& owners,
                  std::vector<int64_t>* partition_rows) {
  // [u64 n][n x i64 partition rows][the table].
  Writer w;
  w.PutVector(share.partition_rows);
  const std::vector<std::string> all = comm.AllGather(w.Take() + SerializeTable(share.table));
  std::vector<TableShare> shares(all.size());
  for (size_t r = 0; r < all.size(); ++r) {
    const std::string& b = all[r];
    uint64_t n = 0;
    if (b.size() >= 8) std::memcpy(&n, b.data(), 8);
    if (b.size() < 8 || n > (b.size() - 8) / 8) {
      throw DataError("rank " + std::to_string(r) + " sent a malformed table");
    }
    shares[r].partition_rows.resize(n);
    if (n > 0) std::memcpy(shares[r].partition_rows.data(), b.data() + 8, 8 * n);
    shares[r].table = ParseTable(b.substr(8 + 8 * n));
  }
  if (partition_rows != nullptr) {
    partition_rows->clear();
    std::vector<size_t> next(shares.size(), 0);
    for (int r : owners) {
      const auto& rows = shares[static_cast<size_t>(r)].partition_rows;
      const size_t k = next[static_cast<size_t>(r)]++;
      partition_rows->push_back(k < rows.size() ? rows[k] : -1);
    }
  }
  return AssembleGlobal(shares, owners);
}

}  // namespace freshet
