// Tests of src/registry/env.cc: the POSIX Env that every registry file operation goes through.
#include "freshet/env.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::MessageOf;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(PosixEnv, WritesReadsAndTruncatesWholeFiles) {
  TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir / "blob";
  // Larger than one read buffer, with NUL bytes: nothing is cut short.
  std::string big(200000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 256);
  env->WriteFile(path, big);
  EXPECT_EQ(fs::file_size(path), big.size());
  EXPECT_EQ(env->ReadFile(path), big);
  EXPECT_EQ(ReadFile(path), big);
  env->WriteFile(path, "short");
  EXPECT_EQ(env->ReadFile(path), "short");
  env->WriteFile(path, "");
  EXPECT_EQ(env->ReadFile(path), "");
  EXPECT_TRUE(env->Exists(path));
}

TEST(PosixEnv, FailuresNameThePathAndTheOperation) {
  TempDir dir;
  Env* env = Env::Default();
  const std::string missing = dir / "missing";
  std::string m = MessageOf<IoError>([&] { env->ReadFile(missing); });
  EXPECT_EQ(m, missing + ": open: No such file or directory");
  m = MessageOf<IoError>([&] { env->WriteFile(missing + "/file", "x"); });
  EXPECT_EQ(m.rfind(missing + "/file: create: ", 0), 0u) << m;
  m = MessageOf<IoError>([&] { env->CreateDir(dir.path()); });
  EXPECT_EQ(m, dir.path() + ": create folder: File exists");
  m = MessageOf<IoError>([&] { env->CreateDir(missing + "/child"); });
  EXPECT_EQ(m.rfind(missing + "/child: create folder: ", 0), 0u) << m;
  m = MessageOf<IoError>([&] { env->ListDir(missing); });
  EXPECT_EQ(m.rfind(missing + ": list folder: ", 0), 0u) << m;
  m = MessageOf<IoError>([&] { env->SyncDir(missing); });
  EXPECT_EQ(m.rfind(missing + ": open folder for fsync: ", 0), 0u) << m;
  m = MessageOf<IoError>([&] { env->Rename(missing, dir / "to"); });
  EXPECT_EQ(m.rfind(missing + ": rename to " + (dir / "to") + ": ", 0), 0u) << m;
}

TEST(PosixEnv, ListsNamesSortedWithHiddenOnesAndWithoutDots) {
  TempDir dir;
  Env* env = Env::Default();
  EXPECT_TRUE(env->ListDir(dir.path()).empty());
  for (const char* name : {"b", ".lock", "a", "v000002"}) WriteFile(dir / name, "x");
  env->CreateDir(dir / "c");
  EXPECT_EQ(env->ListDir(dir.path()),
            (std::vector<std::string>{".lock", "a", "b", "c", "v000002"}));
}

TEST(PosixEnv, RenameReplacesTheTargetAndMovesFolders) {
  TempDir dir;
  Env* env = Env::Default();
  WriteFile(dir / "new", "new");
  WriteFile(dir / "old", "old");
  env->Rename(dir / "new", dir / "old");
  EXPECT_FALSE(env->Exists(dir / "new"));
  EXPECT_EQ(ReadFile(dir / "old"), "new");
  env->CreateDir(dir / ".tmp");
  WriteFile(dir / ".tmp/f", "in the folder");
  env->Rename(dir / ".tmp", dir / "v000001");
  EXPECT_FALSE(env->Exists(dir / ".tmp"));
  EXPECT_EQ(ReadFile(dir / "v000001/f"), "in the folder");
}

TEST(PosixEnv, RemoveAllRemovesTreesButNotWhatALinkPointsTo) {
  TempDir dir;
  Env* env = Env::Default();
  fs::create_directories(dir / "tree/a/b");
  WriteFile(dir / "tree/a/b/.hidden", "x");
  WriteFile(dir / "tree/a/f", "y");
  fs::create_directory(dir / "outside");
  WriteFile(dir / "outside/keep", "z");
  fs::create_directory_symlink(dir / "outside", dir / "tree/link");
  env->RemoveAll(dir / "tree");
  EXPECT_FALSE(fs::exists(dir / "tree"));
  EXPECT_EQ(ReadFile(dir / "outside/keep"), "z");  // the link went, not what it pointed to
  fs::create_directory_symlink(dir / "outside", dir / "link");
  env->RemoveAll(dir / "link");
  EXPECT_FALSE(fs::is_symlink(dir / "link"));
  EXPECT_TRUE(fs::exists(dir / "outside/keep"));
  env->RemoveAll(dir / "outside/keep");  // a file
  EXPECT_FALSE(fs::exists(dir / "outside/keep"));
  EXPECT_NO_THROW(env->RemoveAll(dir / "never-was"));
  EXPECT_NO_THROW(env->RemoveAll(dir / "never-was/below"));
}

TEST(PosixEnv, ExistsAndIsDirTellFilesFromFolders) {
  TempDir dir;
  Env* env = Env::Default();
  WriteFile(dir / "file", "x");
  EXPECT_TRUE(env->Exists(dir / "file"));
  EXPECT_FALSE(env->IsDir(dir / "file"));
  EXPECT_TRUE(env->Exists(dir.path()));
  EXPECT_TRUE(env->IsDir(dir.path()));
  EXPECT_FALSE(env->Exists(dir / "missing"));
  EXPECT_FALSE(env->IsDir(dir / "missing"));
  EXPECT_NO_THROW(env->SyncDir(dir.path()));
}

TEST(PosixEnv, TheDefaultIsOneInstanceWhoseStepDoesNothing) {
  Env* env = Env::Default();
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env, Env::Default());
  EXPECT_NO_THROW(env->Step("index: publish churn v000001"));
}

}  // namespace
}  // namespace freshet
