#pragma once

// The SqliteStore's file: connection settings and the schema, versioned by
// PRAGMA user_version and migrated forward in one transaction.

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "controller/adapters/sqlite_db.h"

namespace nanoplane::controller {

// The schema version this binary writes.
int SqliteSchemaVersion();

// WAL journal, synchronous FULL (or NORMAL), busy timeout, foreign keys.
[[nodiscard]] absl::Status ConfigureConnection(SqliteDb& db, bool synchronous_full,
                                               absl::Duration busy_timeout);

// Brings the schema to SqliteSchemaVersion(). FailedPrecondition when the file
// was written by a newer binary (its version is higher).
[[nodiscard]] absl::Status MigrateSchema(SqliteDb& db);

}  // namespace nanoplane::controller
