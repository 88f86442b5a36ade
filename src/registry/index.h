// The registry's SQLite index (index.sqlite): a small RAII layer over the C API, the schema, and
// transactions that commit through the Env's Step() so tests can fail or crash them. Private to
// src/registry/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "freshet/env.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace freshet {

class Index;

// A prepared statement. Bind() with 1-based positions; Step() returns true while rows come.
class Stmt {
 public:
  Stmt(Index& index, const char* sql);
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, const std::string& v);
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string(v)); }
  Stmt& Bind(int i, double v);
  Stmt& Bind(int i, const std::optional<int64_t>& v);
  Stmt& BindNull(int i);
  bool Step();
  // Runs a statement that returns no rows.
  void Run() {
    while (Step()) {
    }
  }

  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;
  std::optional<int64_t> OptInt(int col) const;
  bool IsNull(int col) const;

 private:
  Index& index_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Index {
 public:
  // Opens (read-only: never creates) or creates the index at `path`; checks its format (throws
  // IoError for a newer one) and, when writable, creates the schema.
  Index(const std::string& path, bool read_only, Env* env);
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;
  ~Index();

  // Runs SQL text of one or more statements without results. Throws IoError.
  void Exec(const char* sql);
  // The last insert's rowid.
  int64_t LastId() const;

  [[noreturn]] void Fail(const std::string& what) const;
  sqlite3* db() const { return db_; }
  Env* env() const { return env_; }
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

 private:
  void CreateSchema();
  std::string path_;
  Env* env_;
  bool read_only_;
  sqlite3* db_ = nullptr;
};

// A write transaction (BEGIN IMMEDIATE: the index's write lock is taken at once, waiting up to the
// busy timeout for other processes). Commit() first calls env->Step(what); a transaction destroyed
// without Commit() rolls back.
class Txn {
 public:
  explicit Txn(Index& index);
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn();
  void Commit(const std::string& what);

 private:
  Index& index_;
  bool open_ = true;
};

}  // namespace freshet
