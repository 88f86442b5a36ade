#include "registry/index.h"

#include <sqlite3.h>

#include "freshet/error.hpp"
#include "freshet/registry.hpp"

namespace freshet {
namespace {

// Format 1. Versions are never deleted from the index: gc marks them (state = 'deleted') so their
// numbers are never reused and their history stays readable.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS models (
  name TEXT PRIMARY KEY,
  created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
  model TEXT NOT NULL REFERENCES models(name),
  number INTEGER NOT NULL,
  created TEXT NOT NULL,
  parent INTEGER,
  warm_start INTEGER,
  config_hash TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  run INTEGER,
  state TEXT NOT NULL DEFAULT 'live',
  pinned INTEGER NOT NULL DEFAULT 0,
  pin_reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (model, number)
);
CREATE TABLE IF NOT EXISTS inputs (
  model TEXT NOT NULL,
  number INTEGER NOT NULL,
  position INTEGER NOT NULL,
  path TEXT NOT NULL,
  role TEXT NOT NULL,
  rows INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL DEFAULT -1,
  mtime_ns INTEGER NOT NULL DEFAULT 0,
  ctime_ns INTEGER NOT NULL DEFAULT 0,
  inode INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (model, number, position)
);
CREATE INDEX IF NOT EXISTS inputs_by_sha ON inputs (sha256);
CREATE INDEX IF NOT EXISTS inputs_by_path ON inputs (path);
CREATE TABLE IF NOT EXISTS metrics (
  model TEXT NOT NULL,
  number INTEGER NOT NULL,
  subject TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (model, number, subject, name)
);
CREATE TABLE IF NOT EXISTS channels (
  model TEXT NOT NULL,
  name TEXT NOT NULL,
  number INTEGER NOT NULL,
  since TEXT NOT NULL,
  PRIMARY KEY (model, name)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  model TEXT NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT '',
  version INTEGER,
  previous INTEGER,
  user TEXT NOT NULL,
  host TEXT NOT NULL,
  command TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_model ON events (model, channel);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL,
  started TEXT NOT NULL,
  ended TEXT,
  exit_code INTEGER,
  reason TEXT NOT NULL DEFAULT '',
  version INTEGER,
  user TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  command TEXT NOT NULL,
  inputs TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS runs_by_model ON runs (model, id);
)sql";

// Added within format 1: older freshets ignore the table, and a writer creates it in an index an
// older freshet made.
constexpr char kEvaluationsSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS evaluations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL,
  number INTEGER NOT NULL,
  kind TEXT NOT NULL,
  time TEXT NOT NULL,
  passed INTEGER NOT NULL,
  reason TEXT NOT NULL,
  summary TEXT NOT NULL,
  user TEXT NOT NULL,
  host TEXT NOT NULL,
  command TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evaluations_by_version ON evaluations (model, number, kind);
)sql";

}  // namespace

Index::Index(const std::string& path, bool read_only, Env* env)
    : path_(path), env_(env), read_only_(read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw IoError(path + ": cannot open the registry index: " + why);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Readers and writers of other processes wait for each other's short transactions.
  sqlite3_busy_timeout(db_, 60000);
  try {
    Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
    int64_t format = 0;
    {
      Stmt s(*this, "PRAGMA user_version");
      if (s.Step()) format = s.Int(0);
    }
    if (format > kIndexFormat) {
      throw IoError(path + ": the registry index has format " + std::to_string(format) +
                    ", newer than this freshet reads (" + std::to_string(kIndexFormat) +
                    "); use a newer freshet");
    }
    if (!read_only) {
      if (format == 0) CreateSchema();
      Exec(kEvaluationsSchema);
    } else if (format == 0) {
      throw IoError(path + ": not a freshet registry index (no format recorded)");
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

void Index::CreateSchema() {
  // WAL: readers never block the writer; FULL sync: a committed transaction survives a power cut.
  Exec("PRAGMA journal_mode = WAL;");
  Txn txn(*this);
  Exec(kSchema);
  Exec(("PRAGMA user_version = " + std::to_string(kIndexFormat)).c_str());
  txn.Commit("index: create schema");
}

Index::~Index() {
  if (db_) sqlite3_close_v2(db_);
}

void Index::Fail(const std::string& what) const {
  throw IoError(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void Index::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw IoError(path_ + ": " + why);
  }
}

int64_t Index::LastId() const { return sqlite3_last_insert_rowid(db_); }

Stmt::Stmt(Index& index, const char* sql) : index_(index) {
  if (sqlite3_prepare_v2(index.db(), sql, -1, &stmt_, nullptr) != SQLITE_OK) {
    index.Fail("prepare statement");
  }
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::Bind(int i, int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) index_.Fail("bind");
  return *this;
}

Stmt& Stmt::Bind(int i, const std::string& v) {
  if (sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    index_.Fail("bind");
  }
  return *this;
}

Stmt& Stmt::Bind(int i, double v) {
  if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK) index_.Fail("bind");
  return *this;
}

Stmt& Stmt::Bind(int i, const std::optional<int64_t>& v) { return v ? Bind(i, *v) : BindNull(i); }

Stmt& Stmt::BindNull(int i) {
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) index_.Fail("bind");
  return *this;
}

bool Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  index_.Fail("statement failed");
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Stmt::Real(int col) const { return sqlite3_column_double(stmt_, col); }
bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
}

std::optional<int64_t> Stmt::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

Txn::Txn(Index& index) : index_(index) {
  if (index.read_only()) {
    throw IoError(index.path() + ": the registry was opened read-only");
  }
  index_.Exec("BEGIN IMMEDIATE");
}

Txn::~Txn() {
  if (open_) sqlite3_exec(index_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Txn::Commit(const std::string& what) {
  index_.env()->Step(what);
  index_.Exec("COMMIT");
  open_ = false;
}

}  // namespace freshet
