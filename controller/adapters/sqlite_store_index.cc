// SqliteStore: the artifact index and leases.

#include "common/status.h"
#include "common/strings.h"
#include "controller/adapters/sqlite_store.h"

namespace nanoplane::controller {

using ports::ArtifactRecord;
using ports::LeaseRecord;

absl::StatusOr<std::set<std::string>> SqliteStore::ReferrersOf(const std::string& digest) {
  NP_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT referrer FROM artifact_references WHERE digest = ? ORDER BY referrer"));
  select.BindAll(digest);
  NP_ASSIGN_OR_RETURN(std::vector<std::string> referrers,
                      ReadAll<std::string>(select, [](const SqliteStatement& row) {
                        return absl::StatusOr<std::string>(row.Text(0));
                      }));
  return std::set<std::string>(referrers.begin(), referrers.end());
}

absl::Status SqliteStore::PutArtifact(const ArtifactRecord& artifact) {
  absl::Time created =
      artifact.created_time == absl::UnixEpoch() ? options_.now() : artifact.created_time;
  absl::MutexLock lock(&mu_);
  return InWriteTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    NP_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT size FROM artifacts WHERE digest = ?"));
    select.BindAll(artifact.digest);
    NP_ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) {
      if (select.Int(0) != artifact.size) {
        return absl::InvalidArgumentError(StrCat("artifact ", artifact.digest, " has size ",
                                                 select.Int(0), ", not ", artifact.size));
      }
      return absl::OkStatus();
    }
    NP_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db_->Prepare("INSERT INTO artifacts (digest, size, created_us) VALUES (?, ?, ?)"));
    return insert.BindAll(artifact.digest, artifact.size, absl::ToUnixMicros(created)).Run();
  });
}

absl::StatusOr<ArtifactRecord> SqliteStore::GetArtifact(const std::string& digest) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                      SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kRead));
  NP_ASSIGN_OR_RETURN(SqliteStatement select,
                      db_->Prepare("SELECT size, created_us FROM artifacts WHERE digest = ?"));
  select.BindAll(digest);
  NP_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) {
    return absl::NotFoundError(StrCat("artifact ", digest, " not found"));
  }
  ArtifactRecord record{
      .digest = digest, .size = select.Int(0), .created_time = absl::FromUnixMicros(select.Int(1))};
  NP_ASSIGN_OR_RETURN(record.referenced_by, ReferrersOf(digest));
  NP_RETURN_IF_ERROR(transaction.Commit());
  return record;
}

absl::StatusOr<std::vector<ArtifactRecord>> SqliteStore::ListArtifacts() {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                      SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kRead));
  std::vector<ArtifactRecord> records;
  {
    NP_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare("SELECT digest, size, created_us FROM artifacts ORDER BY digest"));
    NP_ASSIGN_OR_RETURN(records, ReadAll<ArtifactRecord>(select, [](const SqliteStatement& row) {
                          return absl::StatusOr<ArtifactRecord>(
                              ArtifactRecord{.digest = row.Text(0),
                                             .size = row.Int(1),
                                             .created_time = absl::FromUnixMicros(row.Int(2))});
                        }));
  }
  for (ArtifactRecord& record : records) {
    NP_ASSIGN_OR_RETURN(record.referenced_by, ReferrersOf(record.digest));
  }
  NP_RETURN_IF_ERROR(transaction.Commit());
  return records;
}

absl::Status SqliteStore::SetArtifactReferences(const std::string& referrer,
                                                const std::set<std::string>& digests) {
  absl::MutexLock lock(&mu_);
  return InWriteTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    NP_ASSIGN_OR_RETURN(SqliteStatement clear,
                        db_->Prepare("DELETE FROM artifact_references WHERE referrer = ?"));
    NP_RETURN_IF_ERROR(clear.BindAll(referrer).Run());
    for (const std::string& digest : digests) {
      NP_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db_->Prepare("INSERT INTO artifact_references (referrer, digest) VALUES (?, ?)"));
      NP_RETURN_IF_ERROR(insert.BindAll(referrer, digest).Run());
    }
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::DeleteArtifact(const std::string& digest) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement remove,
                      db_->Prepare("DELETE FROM artifacts WHERE digest = ?"));
  NP_RETURN_IF_ERROR(remove.BindAll(digest).Run());
  if (db_->Changes() == 0) {
    return absl::NotFoundError(StrCat("artifact ", digest, " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LeaseRecord> SqliteStore::AcquireLease(const std::string& name,
                                                      const std::string& holder,
                                                      absl::Duration duration) {
  absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  LeaseRecord lease{.name = name, .holder = holder, .acquire_time = now};
  NP_RETURN_IF_ERROR(InWriteTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    NP_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT holder, acquire_us, renew_us, duration_us FROM "
                                     "leases WHERE name = ?"));
    select.BindAll(name);
    NP_ASSIGN_OR_RETURN(bool row, select.Step());
    if (row && select.Text(0) != holder &&
        absl::FromUnixMicros(select.Int(2)) + absl::Microseconds(select.Int(3)) > now) {
      return absl::AbortedError(StrCat("lease ", name, " is held by ", select.Text(0)));
    }
    if (row && select.Text(0) == holder) {
      lease.acquire_time = absl::FromUnixMicros(select.Int(1));
    }
    lease.renew_time = now;
    lease.duration = duration;
    NP_ASSIGN_OR_RETURN(SqliteStatement upsert,
                        db_->Prepare("INSERT OR REPLACE INTO leases (name, holder, acquire_us, "
                                     "renew_us, duration_us) VALUES (?, ?, ?, ?, ?)"));
    return upsert
        .BindAll(name, holder, absl::ToUnixMicros(lease.acquire_time), absl::ToUnixMicros(now),
                 absl::ToInt64Microseconds(duration))
        .Run();
  }));
  return lease;
}

absl::Status SqliteStore::ReleaseLease(const std::string& name, const std::string& holder) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement remove,
                      db_->Prepare("DELETE FROM leases WHERE name = ? AND holder = ?"));
  NP_RETURN_IF_ERROR(remove.BindAll(name, holder).Run());
  if (db_->Changes() == 0) {
    return absl::NotFoundError(StrCat("lease ", name, " is not held by ", holder));
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::controller
