#include "controller/adapters/sqlite_schema.h"

#include <vector>

#include "absl/strings/str_format.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller {
namespace {

// Migration N takes the schema from version N to N+1. Never edit a released
// step: files in the field were migrated by it. Add a new one instead.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> migrations = {
      // 0 -> 1: the first schema. Objects are the codec's JSON; the columns
      // beside them are what queries filter and sort on.
      R"sql(
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO meta (key, value) VALUES ('resource_version', 0), ('compacted_version', 0);
        CREATE TABLE unikernels (
          namespace TEXT NOT NULL, name TEXT NOT NULL, uid TEXT NOT NULL UNIQUE,
          resource_version INTEGER NOT NULL, generation INTEGER NOT NULL,
          deleting INTEGER NOT NULL, object TEXT NOT NULL,
          PRIMARY KEY (namespace, name)) WITHOUT ROWID;
        CREATE TABLE changes (
          resource_version INTEGER PRIMARY KEY, type INTEGER NOT NULL,
          namespace TEXT NOT NULL, name TEXT NOT NULL, object TEXT NOT NULL);
        CREATE TABLE revisions (
          namespace TEXT NOT NULL, unikernel TEXT NOT NULL, unikernel_uid TEXT NOT NULL,
          number INTEGER NOT NULL, hash TEXT NOT NULL, template TEXT NOT NULL,
          created_us INTEGER NOT NULL, progress_us INTEGER NOT NULL,
          PRIMARY KEY (namespace, unikernel, hash),
          UNIQUE (namespace, unikernel, number)) WITHOUT ROWID;
        CREATE TABLE events (
          id INTEGER PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL,
          name TEXT NOT NULL, uid TEXT NOT NULL, type INTEGER NOT NULL, reason TEXT NOT NULL,
          message TEXT NOT NULL, count INTEGER NOT NULL, first_us INTEGER NOT NULL,
          last_us INTEGER NOT NULL,
          UNIQUE (kind, namespace, name, uid, type, reason, message));
        CREATE INDEX events_by_last ON events (last_us);
        CREATE TABLE hosts (
          name TEXT PRIMARY KEY, labels TEXT NOT NULL, memory_bytes INTEGER NOT NULL,
          cpus INTEGER NOT NULL, last_seen_us INTEGER NOT NULL, state INTEGER NOT NULL)
          WITHOUT ROWID;
        CREATE TABLE artifacts (
          digest TEXT PRIMARY KEY, size INTEGER NOT NULL, created_us INTEGER NOT NULL)
          WITHOUT ROWID;
        CREATE TABLE artifact_references (
          referrer TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (referrer, digest))
          WITHOUT ROWID;
        CREATE INDEX artifact_references_by_digest ON artifact_references (digest);
        CREATE TABLE leases (
          name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquire_us INTEGER NOT NULL,
          renew_us INTEGER NOT NULL, duration_us INTEGER NOT NULL) WITHOUT ROWID;
      )sql",
  };
  return migrations;
}

}  // namespace

int SqliteSchemaVersion() { return static_cast<int>(Migrations().size()); }

absl::Status ConfigureConnection(SqliteDb& db, bool synchronous_full, absl::Duration busy_timeout) {
  // busy_timeout first: switching to WAL itself needs the lock.
  NP_RETURN_IF_ERROR(db.Exec(
      absl::StrFormat("PRAGMA busy_timeout = %d", absl::ToInt64Milliseconds(busy_timeout))));
  NP_ASSIGN_OR_RETURN(SqliteStatement journal, db.Prepare("PRAGMA journal_mode = WAL"));
  NP_RETURN_IF_ERROR(journal.Step().status());
  if (journal.Text(0) != "wal") {
    return absl::InternalError(
        StrCat(db.path(), ": cannot use WAL (journal mode ", journal.Text(0), ")"));
  }
  NP_RETURN_IF_ERROR(
      db.Exec(synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  return db.Exec("PRAGMA foreign_keys = ON");
}

absl::Status MigrateSchema(SqliteDb& db) {
  NP_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                      SqliteTransaction::Begin(db, SqliteTransaction::Mode::kWrite));
  NP_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  int64_t target = SqliteSchemaVersion();
  if (version > target) {
    return absl::FailedPreconditionError(StrCat(db.path(), ": schema version ", version,
                                                " is newer than this binary's (", target,
                                                "); upgrade nanoplane"));
  }
  // All steps in one transaction: a crash mid-way leaves the old version whole.
  for (; version < target; ++version) {
    NP_RETURN_IF_ERROR(Annotate(db.Exec(Migrations()[version]),
                                StrCat("migrate schema to version ", version + 1)));
    NP_RETURN_IF_ERROR(db.Exec(StrCat("PRAGMA user_version = ", version + 1)));
  }
  return transaction.Commit();
}

}  // namespace nanoplane::controller
