#include "freshet/registry.hpp"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/io.hpp"

namespace freshet {
namespace {

namespace fs = std::filesystem;

// A fresh temporary folder per test, removed with its contents afterwards.
class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "freshet-registry-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string ModelDir() const { return root_ + "/churn"; }

  // The names in the model folder, sorted.
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(ModelDir())) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string root_;
};

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Publishes one version holding a single small file.
VersionRef Publish(const Registry& reg, const std::string& content) {
  VersionDraft d = reg.NewVersion();
  d.WriteJson("eval.json", {{"content", content}});
  return d.Commit({{"note", content}});
}

TEST(VersionName, PadsToSixDigits) {
  EXPECT_EQ(VersionName(1), "v000001");
  EXPECT_EQ(VersionName(42), "v000042");
  EXPECT_EQ(VersionName(999999), "v999999");
}

TEST_F(RegistryTest, OpenCreatesTheModelFolder) {
  const std::string root = root_ + "/nested/registry";
  Registry reg = Registry::Open(root, "churn");
  EXPECT_TRUE(fs::is_directory(root + "/churn"));
  EXPECT_EQ(fs::path(reg.model_dir()), fs::path(root + "/churn"));
  EXPECT_TRUE(reg.Versions().empty());
  EXPECT_FALSE(reg.Latest().has_value());
}

TEST_F(RegistryTest, FirstVersionIsV000001) {
  Registry reg = Registry::Open(root_, "churn");
  VersionDraft d = reg.NewVersion();
  EXPECT_EQ(d.ref().number, 1);
  EXPECT_EQ(d.ref().name, "v000001");
  EXPECT_EQ(fs::path(d.ref().path), fs::path(ModelDir() + "/v000001"));
}

TEST_F(RegistryTest, DraftIsInvisibleUntilCommit) {
  Registry reg = Registry::Open(root_, "churn");
  VersionDraft d = reg.NewVersion();
  d.WriteJson("eval.json", {{"auc", 0.75}});
  // The file lives in a hidden folder, not in the version folder.
  EXPECT_TRUE(fs::exists(d.FilePath("eval.json")));
  EXPECT_FALSE(fs::exists(d.ref().path));
  EXPECT_EQ(fs::path(d.FilePath("eval.json")).parent_path().filename().string().rfind(".", 0), 0u);
  EXPECT_TRUE(reg.Versions().empty());
  EXPECT_FALSE(reg.Latest().has_value());
}

TEST_F(RegistryTest, CommitPublishesFilesAndManifest) {
  Registry reg = Registry::Open(root_, "churn");
  VersionDraft d = reg.NewVersion();
  d.WriteJson("eval.json", {{"auc", 0.75}});
  WriteText(d.FilePath("model.pt"), std::string("\x00\x01weights\xff", 10));
  const VersionRef v = d.Commit({{"version", "v000001"}, {"config_hash", "abc"}});

  EXPECT_EQ(v.name, "v000001");
  ASSERT_TRUE(fs::is_directory(v.path));
  EXPECT_TRUE(fs::exists(v.path + "/eval.json"));
  EXPECT_TRUE(fs::exists(v.path + "/model.pt"));
  EXPECT_EQ(nlohmann::json::parse(ReadText(v.path + "/eval.json")).at("auc"), 0.75);

  const nlohmann::json m = reg.Manifest(v);
  EXPECT_EQ(m.at("config_hash"), "abc");
  const nlohmann::json& artifacts = m.at("artifacts");
  ASSERT_EQ(artifacts.size(), 2u) << artifacts.dump();
  EXPECT_FALSE(artifacts.contains("manifest.json"));
  for (const std::string name : {"eval.json", "model.pt"}) {
    const std::string file = v.path + "/" + name;
    ASSERT_TRUE(artifacts.contains(name)) << name;
    EXPECT_EQ(artifacts[name].at("sha256"), Sha256File(file)) << name;
    EXPECT_EQ(artifacts[name].at("bytes"), static_cast<int64_t>(fs::file_size(file))) << name;
  }
  EXPECT_EQ(artifacts["model.pt"].at("bytes"), 10);

  // Nothing but the lock and the version is left in the model folder.
  EXPECT_EQ(Entries(), (std::vector<std::string>{".lock", "v000001"}));
}

TEST_F(RegistryTest, ManifestOfEmptyDraftHasNoArtifacts) {
  Registry reg = Registry::Open(root_, "churn");
  VersionDraft d = reg.NewVersion();
  const VersionRef v = d.Commit(nlohmann::json::object());
  const nlohmann::json m = reg.Manifest(v);
  EXPECT_TRUE(m.at("artifacts").is_object());
  EXPECT_TRUE(m.at("artifacts").empty());
}

TEST_F(RegistryTest, DraftDestroyedWithoutCommitLeavesNothing) {
  Registry reg = Registry::Open(root_, "churn");
  std::string tmp_file;
  {
    VersionDraft d = reg.NewVersion();
    d.WriteJson("eval.json", {{"auc", 0.5}});
    tmp_file = d.FilePath("eval.json");
    ASSERT_TRUE(fs::exists(tmp_file));
  }
  EXPECT_FALSE(fs::exists(tmp_file));
  EXPECT_FALSE(fs::exists(fs::path(tmp_file).parent_path()));
  EXPECT_TRUE(reg.Versions().empty());
  EXPECT_EQ(Entries(), (std::vector<std::string>{".lock"}));
  // The number is reused.
  EXPECT_EQ(reg.NewVersion().ref().name, "v000001");
}

TEST_F(RegistryTest, MovedDraftStillCommits) {
  Registry reg = Registry::Open(root_, "churn");
  VersionDraft a = reg.NewVersion();
  a.WriteJson("eval.json", {{"auc", 0.5}});
  VersionDraft b(std::move(a));
  const VersionRef v = b.Commit({});
  EXPECT_TRUE(fs::exists(v.path + "/eval.json"));
}

TEST_F(RegistryTest, VersionsAreNumberedAndSorted) {
  Registry reg = Registry::Open(root_, "churn");
  for (int i = 1; i <= 3; ++i) {
    const VersionRef v = Publish(reg, "run " + std::to_string(i));
    EXPECT_EQ(v.number, i);
  }
  const std::vector<VersionRef> vs = reg.Versions();
  ASSERT_EQ(vs.size(), 3u);
  for (size_t i = 0; i < vs.size(); ++i) {
    EXPECT_EQ(vs[i].number, static_cast<int64_t>(i + 1));
    EXPECT_EQ(vs[i].name, VersionName(vs[i].number));
    EXPECT_EQ(reg.Manifest(vs[i]).at("note"), "run " + std::to_string(i + 1));
  }
  ASSERT_TRUE(reg.Latest().has_value());
  EXPECT_EQ(reg.Latest()->name, "v000003");
}

TEST_F(RegistryTest, VersionsSortNumericallyNotByDirectoryOrder) {
  Registry reg = Registry::Open(root_, "churn");
  for (const char* name : {"v000010", "v000002", "v000100", "v000009"}) {
    fs::create_directory(ModelDir() + "/" + name);
  }
  std::vector<std::string> names;
  for (const auto& v : reg.Versions()) names.push_back(v.name);
  EXPECT_EQ(names, (std::vector<std::string>{"v000002", "v000009", "v000010", "v000100"}));
  EXPECT_EQ(reg.Latest()->number, 100);
  EXPECT_EQ(reg.NewVersion().ref().name, "v000101");
}

TEST_F(RegistryTest, VersionsIgnoreHiddenTempAndJunkNames) {
  Registry reg = Registry::Open(root_, "churn");
  Publish(reg, "real");
  for (const char* name : {".v000005.tmp-99", "v00002", "v0000020", "vabcdef", "x000003", "v000000",
                           "V000004", "v00000a", "notes"}) {
    fs::create_directory(ModelDir() + "/" + name);
  }
  WriteText(ModelDir() + "/v000007", "a file, not a folder");
  const std::vector<VersionRef> vs = reg.Versions();
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].name, "v000001");
  EXPECT_EQ(reg.Latest()->name, "v000001");
}

TEST_F(RegistryTest, SecondOpenWhileLockedThrowsLockedError) {
  Registry first = Registry::Open(root_, "churn");
  try {
    Registry second = Registry::Open(root_, "churn");
    FAIL() << "a second Open took the lock";
  } catch (const LockedError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kLocked);
    EXPECT_NE(std::string(e.what()).find("churn"), std::string::npos) << e.what();
  }
}

TEST_F(RegistryTest, OtherModelIsNotLocked) {
  Registry first = Registry::Open(root_, "churn");
  EXPECT_NO_THROW(Registry::Open(root_, "other"));
}

TEST_F(RegistryTest, OpenSucceedsAfterTheHolderIsDestroyed) {
  { Registry first = Registry::Open(root_, "churn"); }
  EXPECT_NO_THROW(Registry::Open(root_, "churn"));
}

TEST_F(RegistryTest, MovedRegistryKeepsTheLock) {
  Registry first = Registry::Open(root_, "churn");
  Registry moved(std::move(first));
  EXPECT_THROW(Registry::Open(root_, "churn"), LockedError);
}

TEST_F(RegistryTest, OpenRemovesStaleTempFolders) {
  {
    Registry reg = Registry::Open(root_, "churn");
    Publish(reg, "one");
  }
  fs::create_directory(ModelDir() + "/.v000003.tmp-123");
  WriteText(ModelDir() + "/.v000003.tmp-123/model.pt", "half written");
  fs::create_directory(ModelDir() + "/.v000002.tmp-45");
  fs::create_directory(ModelDir() + "/keep-me");

  Registry reg = Registry::Open(root_, "churn");
  EXPECT_EQ(Entries(), (std::vector<std::string>{".lock", "keep-me", "v000001"}));
  EXPECT_EQ(reg.Latest()->name, "v000001");
  EXPECT_EQ(reg.NewVersion().ref().name, "v000002");
}

TEST_F(RegistryTest, ManifestOfCorruptFileThrowsIoError) {
  Registry reg = Registry::Open(root_, "churn");
  const VersionRef v = Publish(reg, "x");
  WriteText(v.path + "/manifest.json", "{\"version\": ");
  try {
    reg.Manifest(v);
    FAIL() << "a corrupt manifest was read";
  } catch (const IoError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find(v.path + "/manifest.json"), std::string::npos) << e.what();
  }
}

TEST_F(RegistryTest, ManifestOfMissingFileThrowsIoError) {
  Registry reg = Registry::Open(root_, "churn");
  const VersionRef v = Publish(reg, "x");
  fs::remove(v.path + "/manifest.json");
  EXPECT_THROW(reg.Manifest(v), IoError);
}

TEST_F(RegistryTest, CommitRefusesToOverwriteAVersionMadeByHand) {
  Registry reg = Registry::Open(root_, "churn");
  VersionDraft d = reg.NewVersion();
  d.WriteJson("eval.json", {{"auc", 0.5}});
  fs::create_directory(d.ref().path);  // someone made v000001 meanwhile
  WriteText(d.ref().path + "/mine.txt", "keep");
  EXPECT_THROW(d.Commit({}), IoError);
  EXPECT_EQ(ReadText(d.ref().path + "/mine.txt"), "keep");
  EXPECT_FALSE(fs::exists(d.ref().path + "/eval.json"));
}

TEST_F(RegistryTest, WriteJsonIsPrettyPrintedAndReadable) {
  Registry reg = Registry::Open(root_, "churn");
  VersionDraft d = reg.NewVersion();
  const nlohmann::json value = {{"a", 1}, {"b", {1, 2, 3}}, {"c", "text"}};
  d.WriteJson("x.json", value);
  const std::string text = ReadText(d.FilePath("x.json"));
  EXPECT_NE(text.find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text), value);
}

}  // namespace
}  // namespace freshet
