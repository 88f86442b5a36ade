// ReadVlenStringsDirect against HDF5's own conversion (H5Dread), on files written by h5py and by
// the HDF5 library with layouts it must read (many heap collections, a user block)
// and ones it must leave to H5Dread (chunked and compressed).
#include "src/io/hdf5_vlen.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "freshet/io.hpp"
#include "io/test_util.h"
#include "src/io/hdf5_util.h"

namespace freshet {
namespace {

using testing::DataPath;
using testing::TempDir;

// H5Dread's strings: each value up to its first NUL, a null value as "".
std::vector<std::string> LibraryStrings(hid_t dataset) {
  hdf5::Space space(H5Dget_space(dataset));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  hdf5::Type file_type(H5Dget_type(dataset));
  hdf5::Type mem(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), H5T_VARIABLE);
  H5Tset_cset(mem.get(), H5Tget_cset(file_type.get()));
  std::vector<char*> values(static_cast<size_t>(n));
  EXPECT_GE(H5Dread(dataset, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  std::vector<std::string> out;
  for (const char* s : values) out.emplace_back(s == nullptr ? "" : s);
  H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, values.data());
  return out;
}

std::vector<std::string> Split(const hdf5::VlenStrings& v) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < v.offsets.size(); ++i) {
    out.emplace_back(v.bytes.data() + v.offsets[i], v.bytes.data() + v.offsets[i + 1]);
  }
  return out;
}

// Reads dataset `name` of `path` both ways; returns whether the direct read took it, and checks
// that it then gives H5Dread's strings.
bool SameAsLibrary(const std::string& path, const std::string& name) {
  auto lock = hdf5::Lock();
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  EXPECT_TRUE(file.ok()) << path;
  hdf5::Dataset ds(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT));
  EXPECT_TRUE(ds.ok()) << name;
  const std::vector<std::string> expected = LibraryStrings(ds.get());
  hdf5::VlenStrings direct;
  direct.offsets = {7};  // must stay as it is when the direct read declines
  const bool took =
      hdf5::ReadVlenStringsDirect(path, ds.get(), static_cast<int64_t>(expected.size()), &direct);
  if (!took) {
    EXPECT_EQ(direct.offsets, std::vector<int64_t>{7});
    return false;
  }
  EXPECT_EQ(Split(direct), expected) << path << " " << name;
  return true;
}

// Writes `values` as a variable-length string dataset `name`;
// `chunk` > 0 makes it chunked and gzip-compressed.
void WriteStrings(hid_t file, const std::string& name, const std::vector<std::string>& values,
                  hsize_t chunk) {
  const hsize_t n = values.size();
  hdf5::Space space(H5Screate_simple(1, &n, nullptr));
  hdf5::Type type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  hdf5::Plist dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (chunk > 0) {
    H5Pset_chunk(dcpl.get(), 1, &chunk);
    H5Pset_deflate(dcpl.get(), 4);
  }
  hdf5::Dataset ds(H5Dcreate2(file, name.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(),
                              H5P_DEFAULT));
  ASSERT_TRUE(ds.ok());
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  ASSERT_GE(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), 0);
}

std::vector<std::string> ManyStrings(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    // Lengths 0 to 40 (0 = missing), so objects of every padding and thousands of collections.
    out.push_back(std::string(static_cast<size_t>(i % 41), static_cast<char>('a' + i % 26)));
  }
  return out;
}

TEST(ReadVlenStringsDirectTest, H5pyStrings) {
  EXPECT_TRUE(SameAsLibrary(DataPath("h5py_strings.h5"), "vlen"));
  EXPECT_TRUE(SameAsLibrary(DataPath("h5py_strings.h5"), "vlen_ascii"));
}

TEST(ReadVlenStringsDirectTest, ManyCollectionsAndUserBlock) {
  TempDir dir;
  for (hsize_t userblock : {hsize_t{0}, hsize_t{512}}) {
    const std::string path = dir / ("many-" + std::to_string(userblock) + ".h5");
    {
      auto lock = hdf5::Lock();
      hdf5::Plist fcpl(H5Pcreate(H5P_FILE_CREATE));
      if (userblock) H5Pset_userblock(fcpl.get(), userblock);
      hdf5::File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT));
      ASSERT_TRUE(file.ok());
      WriteStrings(file.get(), "s", ManyStrings(50000), 0);
    }
    EXPECT_TRUE(SameAsLibrary(path, "s")) << userblock;
  }
}

TEST(ReadVlenStringsDirectTest, ChunkedDatasetsAreLeftToTheLibrary) {
  TempDir dir;
  const std::string path = dir / "chunked.h5";
  {
    auto lock = hdf5::Lock();
    hdf5::File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_TRUE(file.ok());
    WriteStrings(file.get(), "s", ManyStrings(1000), 128);
  }
  EXPECT_FALSE(SameAsLibrary(path, "s"));
}

TEST(ReadVlenStringsDirectTest, ReadHdf5GivesTheSameColumnEitherWay) {
  TempDir dir;
  const std::string path = dir / "both.h5";
  const std::vector<std::string> values = ManyStrings(3000);
  {
    auto lock = hdf5::Lock();
    hdf5::File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    WriteStrings(file.get(), "direct", values, 0);
    WriteStrings(file.get(), "chunked", values, 100);
  }
  const Table t =
      ReadHdf5(path, {{"direct", ColumnKind::kCategorical}, {"chunked", ColumnKind::kCategorical}});
  EXPECT_EQ(t.columns[0].bytes, t.columns[1].bytes);
  EXPECT_EQ(t.columns[0].offsets, t.columns[1].offsets);
  EXPECT_EQ(t.columns[0].valid, t.columns[1].valid);
  EXPECT_EQ(t.columns[0].valid.size(), values.size());
}

}  // namespace
}  // namespace freshet
