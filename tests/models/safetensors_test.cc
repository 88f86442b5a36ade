// The safetensors writer and reader: layout, round trips, and every kind of damage named.
#include "models/safetensors.h"

#include <cstring>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "freshet/error.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::MessageOf;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

NamedTensors Sample() {
  return {{"embeddings.0.weight", torch::arange(12, torch::kFloat32).reshape({4, 3})},
          {"mlp.1.num_batches_tracked", torch::tensor(5, torch::kInt64)},
          {"a.bf16", torch::tensor({1.5f, -2.0f}).to(torch::kBFloat16)},
          {"empty", torch::zeros({2, 0})}};
}

TEST(Safetensors, LayoutIsTheSpec) {
  TempDir dir;
  WriteSafetensors(dir / "m.safetensors", Sample(), {{"format", "pt"}});
  const std::string bytes = ReadFile(dir / "m.safetensors");
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  EXPECT_EQ(len % 8, 0u);  // padded so the data starts aligned
  const auto header = nlohmann::json::parse(bytes.substr(8, len));
  EXPECT_EQ(header["__metadata__"]["format"], "pt");
  const auto& e = header["embeddings.0.weight"];
  EXPECT_EQ(e["dtype"], "F32");
  EXPECT_EQ(e["shape"], nlohmann::json({4, 3}));
  EXPECT_EQ(e["data_offsets"], nlohmann::json({0, 48}));
  EXPECT_EQ(header["mlp.1.num_batches_tracked"]["dtype"], "I64");
  EXPECT_EQ(header["mlp.1.num_batches_tracked"]["shape"], nlohmann::json::array());
  EXPECT_EQ(header["a.bf16"]["dtype"], "BF16");
  EXPECT_EQ(bytes.size(), 8 + len + 48 + 8 + 4);
  float first[3];
  std::memcpy(first, bytes.data() + 8 + len, sizeof first);
  EXPECT_EQ(first[2], 2.0f);  // raw little-endian row-major values
}

TEST(Safetensors, RoundTrip) {
  TempDir dir;
  const NamedTensors in = Sample();
  WriteSafetensors(dir / "m.safetensors", in, {{"k", "v"}});
  std::map<std::string, std::string> meta;
  const NamedTensors out = ReadSafetensors(dir / "m.safetensors", &meta);
  EXPECT_EQ(meta.at("k"), "v");
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].first, in[i].first);  // file order is the order written
    EXPECT_EQ(out[i].second.scalar_type(), in[i].second.scalar_type());
    EXPECT_TRUE(torch::equal(out[i].second, in[i].second)) << in[i].first;
  }
}

// Writes a file of `header` JSON followed by `data` bytes, with the header length given.
void WriteRaw(const std::string& path, const std::string& header, size_t data, uint64_t len) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &len, 8);
  WriteFile(path, bytes + header + std::string(data, '\0'));
}

TEST(Safetensors, DamageIsNamed) {
  TempDir dir;
  const std::string p = dir / "m.safetensors";
  const auto error = [&] { return MessageOf<IoError>([&] { ReadSafetensors(p); }); };
  EXPECT_NE(
      MessageOf<IoError>([&] { ReadSafetensors(dir / "none.safetensors"); }).find("cannot open"),
      std::string::npos);

  WriteFile(p, "abc");
  EXPECT_NE(error().find("shorter than its 8-byte header length"), std::string::npos);

  WriteSafetensors(p, Sample());
  const std::string good = ReadFile(p);
  WriteFile(p, good.substr(0, good.size() - 5));  // truncated data
  EXPECT_NE(error().find("cover"), std::string::npos) << error();
  WriteFile(p, good.substr(0, 40));  // truncated header
  EXPECT_NE(error().find("runs past the end"), std::string::npos) << error();

  const std::string h = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  WriteRaw(p, h, 8, h.size());
  EXPECT_EQ(ReadSafetensors(p).size(), 1u);
  WriteRaw(p, "{not json", 8, 9);
  EXPECT_NE(error().find("header is not JSON"), std::string::npos);
  const std::string shape = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
  WriteRaw(p, shape, 8, shape.size());
  EXPECT_NE(error().find("tensor w: its shape does not match its byte range"), std::string::npos);
  const std::string dtype = R"({"w":{"dtype":"F8","shape":[2],"data_offsets":[0,8]}})";
  WriteRaw(p, dtype, 8, dtype.size());
  EXPECT_NE(error().find("unknown dtype F8"), std::string::npos);
  const std::string gap = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  WriteRaw(p, gap, 12, gap.size());
  EXPECT_NE(error().find("overlap or leave a gap"), std::string::npos);
  const std::string missing = R"({"w":{"dtype":"F32","shape":[2]}})";
  WriteRaw(p, missing, 8, missing.size());
  EXPECT_NE(error().find("tensor w"), std::string::npos);
  EXPECT_NE(error().find(p), std::string::npos);
}

}  // namespace
}  // namespace freshet
