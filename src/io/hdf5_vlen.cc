#include "src/io/hdf5_vlen.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "src/io/hdf5_util.h"

namespace freshet::hdf5 {
namespace {

// Little-endian unsigned integer of `size` bytes (1 to 8) at p.
uint64_t Le(const unsigned char* p, size_t size) {
  uint64_t v = 0;
  for (size_t i = size; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// Reads exactly `n` bytes at `offset`; false on a short read or an error.
bool ReadAt(int fd, uint64_t offset, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t got = pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

// One global heap collection: its bytes and, by object index, where each object's data starts and
// how long it is.
struct Collection {
  std::vector<unsigned char> data;
  std::vector<std::pair<uint64_t, uint64_t>> objects;  // {start, size}; size ~0 = no such object
};

constexpr uint64_t kNoObject = ~uint64_t{0};

// Reads and parses the collection at file offset `at`. The layout: "GCOL", version 1, 3 reserved
// bytes, the collection size (size of lengths); then objects, each an index (2 bytes), a reference
// count (2), 4 reserved bytes, the object size (size of lengths) and its data padded to 8 bytes;
// index 0 is the free space at the end.
bool ReadCollection(int fd, uint64_t at, size_t size_len, Collection* c) {
  unsigned char head[16];
  const size_t head_size = 8 + size_len;
  if (size_len > 8 || !ReadAt(fd, at, head, head_size)) return false;
  if (std::memcmp(head, "GCOL", 4) != 0 || head[4] != 1) return false;
  const uint64_t total = Le(head + 8, size_len);
  if (total < head_size || total > (uint64_t{1} << 32)) return false;
  c->data.resize(total);
  if (!ReadAt(fd, at, c->data.data(), total)) return false;
  const size_t object_head = 8 + size_len;
  c->objects.reserve(total / (object_head + 8) + 1);
  uint64_t pos = head_size;
  while (pos + object_head <= total) {
    const unsigned char* p = c->data.data() + pos;
    const uint64_t index = Le(p, 2);
    const uint64_t size = Le(p + 8, size_len);
    if (index == 0) break;  // the free space: no objects after it
    const uint64_t start = pos + object_head;
    if (size > total - start) return false;
    if (index >= c->objects.size()) c->objects.resize(index + 1, {0, kNoObject});
    c->objects[index] = {start, size};
    pos = start + ((size + 7) & ~uint64_t{7});
  }
  return true;
}

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

bool ReadVlenStringsDirect(const std::string& path, hid_t dataset, int64_t rows, VlenStrings* out) {
  if (rows <= 0) return false;
  Plist dcpl(H5Dget_create_plist(dataset));
  if (!dcpl.ok() || H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS ||
      H5Pget_nfilters(dcpl.get()) != 0 || H5Pget_external_count(dcpl.get()) != 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  const haddr_t start = H5Dget_offset(dataset);
  const hid_t file_id = H5Iget_file_id(dataset);
  if (start == HADDR_UNDEF || file_id < 0) {
    if (file_id >= 0) H5Fclose(file_id);
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  const File file(file_id);
  Plist fcpl(H5Fget_create_plist(file.get()));
  size_t size_addr = 0, size_len = 0;
  hsize_t userblock = 0;
  if (!fcpl.ok() || H5Pget_sizes(fcpl.get(), &size_addr, &size_len) < 0 ||
      H5Pget_userblock(fcpl.get(), &userblock) < 0 || size_addr == 0 || size_addr > 8 ||
      size_len == 0 || size_len > 8) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  // Each element on disk: the string's length (4 bytes), then its global heap id: the
  // collection's address (size of offsets) and the object's index in it (4 bytes).
  const size_t element = 4 + size_addr + 4;
  const uint64_t n = static_cast<uint64_t>(rows);
  if (H5Dget_storage_size(dataset) != n * element) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  const Fd fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return false;
  std::vector<unsigned char> raw(n * element);
  if (!ReadAt(fd.fd, start, raw.data(), raw.size())) return false;

  VlenStrings result;
  uint64_t total = 0;  // an upper bound of the bytes (values stop at a NUL)
  for (uint64_t i = 0; i < n; ++i) total += Le(raw.data() + i * element, 4);
  if (total > (uint64_t{1} << 40)) return false;
  result.bytes.reserve(total);
  result.offsets.reserve(n + 1);
  result.offsets.push_back(0);
  std::unordered_map<uint64_t, Collection> collections;
  uint64_t last_address = 0;
  const Collection* last = nullptr;
  for (uint64_t i = 0; i < n; ++i) {
    const unsigned char* e = raw.data() + i * element;
    const uint64_t length = Le(e, 4);
    if (length > 0) {
      const uint64_t address = Le(e + 4, size_addr);
      const uint64_t index = Le(e + 4 + size_addr, 4);
      if (last == nullptr || address != last_address) {
        auto [it, inserted] = collections.try_emplace(address);
        if (inserted && !ReadCollection(fd.fd, address + userblock, size_len, &it->second)) {
          return false;
        }
        last = &it->second;
        last_address = address;
      }
      if (index >= last->objects.size() || last->objects[index].second == kNoObject ||
          last->objects[index].second < length) {
        return false;
      }
      const char* s = reinterpret_cast<const char*>(last->data.data() + last->objects[index].first);
      const size_t bytes = strnlen(s, length);
      result.bytes.insert(result.bytes.end(), s, s + bytes);
    }
    result.offsets.push_back(static_cast<int64_t>(result.bytes.size()));
  }
  *out = std::move(result);
  return true;
}

}  // namespace freshet::hdf5
