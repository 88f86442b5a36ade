// Tests of src/registry/index.cc: the SQLite index's format check, schema, statements and
// transactions.
#include "registry/index.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::MessageOf;
using testing::RegistryUnit;
using testing::TempDir;

TEST_F(RegistryUnit, ANewerIndexFormatIsRefused) {
  { Open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((Root() + "/index.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  for (auto mode : {Registry::Mode::kReadOnly, Registry::Mode::kReadWrite}) {
    const std::string m = MessageOf<IoError>([&] { Registry::Open(Root(), mode); });
    EXPECT_NE(m.find("format 99, newer than this freshet reads (1)"), std::string::npos) << m;
  }
}

// The default Env, recording the step each commit announces; fails the steps while `fail` is set.
class StepEnv final : public Env {
 public:
  void WriteFile(const std::string& path, std::string_view data) override {
    Env::Default()->WriteFile(path, data);
  }
  std::string ReadFile(const std::string& path) override { return Env::Default()->ReadFile(path); }
  void CreateDir(const std::string& path) override { Env::Default()->CreateDir(path); }
  void SyncDir(const std::string& path) override { Env::Default()->SyncDir(path); }
  void Rename(const std::string& from, const std::string& to) override {
    Env::Default()->Rename(from, to);
  }
  void RemoveAll(const std::string& path) override { Env::Default()->RemoveAll(path); }
  std::vector<std::string> ListDir(const std::string& path) override {
    return Env::Default()->ListDir(path);
  }
  bool Exists(const std::string& path) override { return Env::Default()->Exists(path); }
  bool IsDir(const std::string& path) override { return Env::Default()->IsDir(path); }
  void Step(const std::string& what) override {
    steps.push_back(what);
    if (fail) throw IoError(what + ": injected failure");
  }
  std::vector<std::string> steps;
  bool fail = false;
};

int64_t CountModels(Index& index) {
  Stmt s(index, "SELECT COUNT(*) FROM models");
  EXPECT_TRUE(s.Step());
  return s.Int(0);
}

TEST(Index, OpeningReadOnlyNeverCreatesTheFile) {
  TempDir dir;
  const std::string path = dir / "index.sqlite";
  const std::string m = MessageOf<IoError>([&] { Index index(path, true, Env::Default()); });
  EXPECT_NE(m.find(path + ": cannot open the registry index"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(path));
}

TEST(Index, CreatesTheSchemaAtTheCurrentFormatInWalMode) {
  TempDir dir;
  const std::string path = dir / "index.sqlite";
  StepEnv env;
  {
    Index index(path, false, &env);
    EXPECT_EQ(env.steps, std::vector<std::string>{"index: create schema"});
    Stmt format(index, "PRAGMA user_version");
    ASSERT_TRUE(format.Step());
    EXPECT_EQ(format.Int(0), kIndexFormat);
    Stmt journal(index, "PRAGMA journal_mode");
    ASSERT_TRUE(journal.Step());
    EXPECT_EQ(journal.Text(0), "wal");
    std::vector<std::string> tables;
    Stmt s(index,
           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
           "ORDER BY name");
    while (s.Step()) tables.push_back(s.Text(0));
    EXPECT_EQ(tables, (std::vector<std::string>{"channels", "evaluations", "events", "inputs",
                                                "metrics", "models", "runs", "versions"}));
  }
  // Opening it again creates nothing new, and a reader opens it.
  env.steps.clear();
  { Index again(path, false, &env); }
  EXPECT_TRUE(env.steps.empty());
  Index reader(path, true, &env);
  EXPECT_TRUE(reader.read_only());
  EXPECT_EQ(CountModels(reader), 0);
}

TEST(Index, ADatabaseWithoutAFormatIsNotAnIndex) {
  TempDir dir;
  const std::string path = dir / "other.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const std::string m = MessageOf<IoError>([&] { Index index(path, true, Env::Default()); });
  EXPECT_NE(m.find(path + ": not a freshet registry index (no format recorded)"), std::string::npos)
      << m;
}

TEST(Index, ATransactionCommitsAfterTheEnvsStepAndRollsBackOtherwise) {
  TempDir dir;
  StepEnv env;
  Index index(dir / "index.sqlite", false, &env);
  {
    Txn txn(index);
    index.Exec("INSERT INTO models (name, created) VALUES ('dropped', 'now')");
  }
  EXPECT_EQ(CountModels(index), 0);
  {
    Txn txn(index);
    index.Exec("INSERT INTO models (name, created) VALUES ('kept', 'now')");
    txn.Commit("test: add kept");
  }
  EXPECT_EQ(CountModels(index), 1);
  EXPECT_EQ(env.steps.back(), "test: add kept");
  // A step that fails (a full disk, a crash) leaves the transaction uncommitted.
  env.fail = true;
  {
    Txn txn(index);
    index.Exec("INSERT INTO models (name, created) VALUES ('failed', 'now')");
    EXPECT_THROW(txn.Commit("test: add failed"), IoError);
  }
  env.fail = false;
  EXPECT_EQ(CountModels(index), 1);
  // What is committed is seen by another connection.
  Index reader(dir / "index.sqlite", true, &env);
  EXPECT_EQ(CountModels(reader), 1);
}

TEST(Index, ATransactionNeedsAWritableIndex) {
  TempDir dir;
  { Index create(dir / "index.sqlite", false, Env::Default()); }
  Index reader(dir / "index.sqlite", true, Env::Default());
  const std::string m = MessageOf<IoError>([&] { Txn txn(reader); });
  EXPECT_NE(m.find("index.sqlite: the registry was opened read-only"), std::string::npos) << m;
}

TEST(Index, StatementsBindAndReadEveryColumnType) {
  TempDir dir;
  Index index(dir / "index.sqlite", false, Env::Default());
  index.Exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, o INTEGER)");
  const int64_t big = int64_t{1} << 40;
  {
    Stmt s(index, "INSERT INTO t VALUES (?, ?, ?, ?)");
    s.Bind(1, big).Bind(2, 0.25).Bind(3, std::string("a\0b", 3)).Bind(4, std::optional<int64_t>());
    s.Run();
  }
  EXPECT_EQ(index.LastId(), 1);
  {
    Stmt s(index, "INSERT INTO t VALUES (?, ?, ?, ?)");
    s.Bind(1, int64_t{-3}).BindNull(2).Bind(3, "c").Bind(4, std::optional<int64_t>(7));
    s.Run();
  }
  EXPECT_EQ(index.LastId(), 2);
  Stmt s(index, "SELECT i, r, s, o FROM t ORDER BY rowid");
  ASSERT_TRUE(s.Step());
  EXPECT_EQ(s.Int(0), big);
  EXPECT_DOUBLE_EQ(s.Real(1), 0.25);
  EXPECT_EQ(s.Text(2), std::string("a\0b", 3));  // the length is kept, not cut at the NUL
  EXPECT_TRUE(s.IsNull(3));
  EXPECT_EQ(s.OptInt(3), std::nullopt);
  ASSERT_TRUE(s.Step());
  EXPECT_EQ(s.Int(0), -3);
  EXPECT_TRUE(s.IsNull(1));
  EXPECT_EQ(s.Text(2), "c");
  EXPECT_EQ(s.OptInt(3), std::optional<int64_t>(7));
  EXPECT_FALSE(s.Step());
}

TEST(Index, FailuresNameTheIndexFile) {
  TempDir dir;
  const std::string path = dir / "index.sqlite";
  Index index(path, false, Env::Default());
  std::string m = MessageOf<IoError>([&] { Stmt s(index, "SELECT x FROM nowhere"); });
  EXPECT_NE(m.find(path + ": prepare statement: no such table: nowhere"), std::string::npos) << m;
  m = MessageOf<IoError>([&] { index.Exec("NOT SQL"); });
  EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
  index.Exec("INSERT INTO models (name, created) VALUES ('churn', 'now')");
  m = MessageOf<IoError>([&] {
    Stmt s(index, "INSERT INTO models (name, created) VALUES ('churn', 'again')");
    s.Run();
  });
  EXPECT_NE(m.find(path + ": statement failed: UNIQUE"), std::string::npos) << m;
}

}  // namespace
}  // namespace freshet
