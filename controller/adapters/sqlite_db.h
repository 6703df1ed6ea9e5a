#pragma once

// A thin layer over SQLite's C API: one connection, prepared statements cached
// by their text, transactions as RAII, and result codes translated into
// absl::Status at this boundary:
//   SQLITE_BUSY, SQLITE_LOCKED   Unavailable (another writer; retry)
//   SQLITE_CONSTRAINT            AlreadyExists
//   SQLITE_FULL                  ResourceExhausted
//   anything else                Internal
//
// Not thread-safe: the owner serializes use of a SqliteDb and its statements.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace nanoplane::controller {

// A cached prepared statement, reset and unbound when this handle goes away.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  ~SqliteStatement();

  // Parameters are numbered from 1.
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view value);
  template <typename... Values>
  SqliteStatement& BindAll(const Values&... values) {
    int index = 0;
    (Bind(++index, values), ...);
    return *this;
  }

  // True when a row is available, false when done.
  [[nodiscard]] absl::StatusOr<bool> Step();
  // Steps to the end, ignoring rows.
  [[nodiscard]] absl::Status Run();

  SqliteStatement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& Bind(int index, const char* value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }

  int64_t Int(int column) const;
  std::string Text(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating) the database file. Internal / Unavailable.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs SQL without results (several statements allowed).
  [[nodiscard]] absl::Status Exec(std::string_view sql);
  // The cached statement for `sql`.
  [[nodiscard]] absl::StatusOr<SqliteStatement> Prepare(const std::string& sql);
  // The single integer `sql` yields (a PRAGMA, a count).
  [[nodiscard]] absl::StatusOr<int64_t> QueryInt(const std::string& sql);
  int64_t Changes() const;

  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

// BEGIN IMMEDIATE (or a deferred read transaction) until Commit; rolls back
// when destroyed uncommitted. IMMEDIATE takes the write lock up front, so two
// writers never deadlock upgrading read locks.
class SqliteTransaction {
 public:
  enum class Mode { kRead, kWrite };
  [[nodiscard]] static absl::StatusOr<SqliteTransaction> Begin(SqliteDb& db, Mode mode);
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();

  [[nodiscard]] absl::Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb& db) : db_(&db) {}
  SqliteDb* db_;
};

// Reads every row of `select` through `decode` into a vector.
template <typename T, typename Decode>
absl::StatusOr<std::vector<T>> ReadAll(SqliteStatement& select, Decode decode) {
  std::vector<T> out;
  while (true) {
    NP_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) {
      return out;
    }
    NP_ASSIGN_OR_RETURN(T value, decode(select));
    out.push_back(std::move(value));
  }
}

// Translates a SQLite result code (see the table above), naming `context`.
absl::Status SqliteError(sqlite3* db, int code, std::string_view context);

}  // namespace nanoplane::controller
