// Tests of src/registry/registry.cc: names, opening a registry, the model's lock, resolution and
// the read side of lineage.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "freshet/error.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::kWhy;
using testing::MessageOf;
using testing::Publish;
using testing::RegistryUnit;

TEST(CheckName, AcceptsTheDocumentedAlphabetOnly) {
  for (const char* ok : {"churn", "a", "fraud-2.b_c", "champion", "0"}) {
    EXPECT_NO_THROW(CheckName("model", ok)) << ok;
  }
  const std::pair<std::string, std::string> bad[] = {{"", "is empty"},
                                                     {"a/b", "path separator"},
                                                     {"..", "starts with a dot"},
                                                     {".hidden", "starts with a dot"},
                                                     {"x\x01y", "control character"},
                                                     {std::string(65, 'm'), "longer than 64"},
                                                     {"a b", "character ' '"}};
  for (const auto& entry : bad) {
    const std::string& name = entry.first;
    const std::string& why = entry.second;
    const std::string m = MessageOf<ConfigError>([&] { CheckName("channel", name); });
    EXPECT_EQ(m.rfind("channel \"", 0), 0u) << m;
    EXPECT_NE(m.find(why), std::string::npos) << m;
  }
  EXPECT_EQ(VersionName(42), "v000042");
}

TEST_F(RegistryUnit, OpeningReadOnlyNeedsARegistryAndNeverCreatesOne) {
  EXPECT_NE(MessageOf<ConfigError>([&] {
              Registry::Open(Root(), Registry::Mode::kReadOnly);
            }).find("no freshet registry here"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(Root()));
  Registry r = Open();
  EXPECT_TRUE(fs::exists(Root() + "/index.sqlite"));
  EXPECT_TRUE(r.Models().empty());
  Publish(r);
  Registry ro = Registry::Open(Root(), Registry::Mode::kReadOnly);
  EXPECT_EQ(ro.Models(), std::vector<std::string>{"churn"});
  EXPECT_THROW(ro.Promote("churn", "1", "canary", kWhy), IoError);  // read-only
}

TEST_F(RegistryUnit, ALostIndexIsNotRecreatedOverVersions) {
  {
    Registry r = Open();
    Publish(r);
  }
  for (const char* f : {"/index.sqlite", "/index.sqlite-wal", "/index.sqlite-shm"}) {
    fs::remove(Root() + f);
  }
  const std::string m = MessageOf<IoError>([&] { Open(); });
  EXPECT_NE(m.find("fsck --rebuild"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(Root() + "/index.sqlite"));
}

TEST_F(RegistryUnit, OneWriterPerModelAndWaitingForTheLock) {
  Registry a = Open(), b = Open();
  auto held = std::make_unique<ModelWriter>(a.Lock("churn"));
  EXPECT_THROW(b.Lock("churn"), LockedError);
  EXPECT_NO_THROW(b.Lock("fraud"));  // another model is not locked
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.reset();
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(b.Lock("churn", 10));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
  release.join();
}

TEST_F(RegistryUnit, KnownSha256AnswersOnlyForTheSameStat) {
  Registry r = Open();
  ModelWriter w = r.Lock("churn");
  VersionDraft d = w.NewVersion();
  d.Write("model.pt", "x");
  PublishRecord rec;
  rec.inputs = {{"/d/1.h5", "train", "digest-1", 3, 100, 11, 12, 13}};
  w.Publish(d, nlohmann::json::object(), rec);
  InputFile in = rec.inputs[0];
  in.sha256.clear();
  EXPECT_EQ(r.KnownSha256(in), "digest-1");
  for (auto change :
       {&InputFile::bytes, &InputFile::mtime_ns, &InputFile::ctime_ns, &InputFile::inode}) {
    InputFile other = in;
    other.*change += 1;
    EXPECT_EQ(r.KnownSha256(other), "");
  }
  in.path = "/d/2.h5";
  EXPECT_EQ(r.KnownSha256(in), "");
}

TEST_F(RegistryUnit, ResolveTakesLatestChannelsAndNumbersAndListsWhatExists) {
  Registry r = Open();
  Publish(r);
  Publish(r, {});
  EXPECT_EQ(r.Resolve("churn", "latest").number, 2);
  EXPECT_EQ(r.Resolve("churn", "champion").number, 1);
  EXPECT_EQ(r.Resolve("churn", "2").number, 2);
  EXPECT_EQ(r.Resolve("churn", "v000001").number, 1);
  std::string m = MessageOf<ConfigError>([&] { r.Resolve("churn", "7"); });
  EXPECT_NE(m.find("version v000007 does not exist (versions v000001 to v000002; channels: "
                   "champion)"),
            std::string::npos)
      << m;
  m = MessageOf<ConfigError>([&] { r.Resolve("churn", "shadow"); });
  EXPECT_NE(m.find("no version or channel \"shadow\""), std::string::npos) << m;
  m = MessageOf<ConfigError>([&] { r.Resolve("fraud", "latest"); });
  EXPECT_NE(m.find("(models: churn)"), std::string::npos) << m;
  EXPECT_THROW(r.Resolve("churn", "a/b"), ConfigError);
}

}  // namespace
}  // namespace freshet
