// SqliteStore: revisions, events, hosts, the artifact index and leases.

#include "common/json.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/adapters/sqlite_store.h"

namespace nanoplane::controller {

using ports::ArtifactRecord;
using ports::EventRecord;
using ports::HostRecord;
using ports::LeaseRecord;
using ports::ObjectKey;
using ports::RevisionRecord;

namespace {

int64_t Micros(absl::Time time) { return absl::ToUnixMicros(time); }
absl::Time FromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }

RevisionRecord RevisionFromRow(const SqliteStatement& row) {
  return {.unikernel = {.ns = row.Text(0), .name = row.Text(1)},
          .unikernel_uid = row.Text(2),
          .number = row.Int(3),
          .hash = row.Text(4),
          .template_json = row.Text(5),
          .created_time = FromMicros(row.Int(6)),
          .progress_time = FromMicros(row.Int(7))};
}

EventRecord EventFromRow(const SqliteStatement& row) {
  return {
      .object = {.kind = row.Text(0), .ns = row.Text(1), .name = row.Text(2), .uid = row.Text(3)},
      .type = static_cast<ports::EventType>(row.Int(4)),
      .reason = row.Text(5),
      .message = row.Text(6),
      .count = static_cast<int32_t>(row.Int(7)),
      .first_time = FromMicros(row.Int(8)),
      .last_time = FromMicros(row.Int(9))};
}

absl::StatusOr<HostRecord> HostFromRow(const SqliteStatement& row) {
  HostRecord host{.name = row.Text(0),
                  .memory_bytes = row.Int(2),
                  .cpus = row.Int(3),
                  .last_seen = FromMicros(row.Int(4)),
                  .state = static_cast<ports::HostState>(row.Int(5))};
  Json labels = Json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
  if (!labels.is_object()) {
    return absl::InternalError(StrCat("host ", host.name, ": stored labels are not an object"));
  }
  for (const auto& [key, value] : labels.items()) {
    host.labels[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return host;
}

absl::Time OrNow(absl::Time time, absl::Time now) { return time == absl::UnixEpoch() ? now : time; }

constexpr const char* kRevisionColumns =
    "namespace, unikernel, unikernel_uid, number, hash, template, created_us, progress_us";
constexpr const char* kEventColumns =
    "kind, namespace, name, uid, type, reason, message, count, first_us, last_us";

}  // namespace

absl::StatusOr<std::vector<RevisionRecord>> SqliteStore::ListRevisions(const ObjectKey& unikernel) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement select,
                      db_->Prepare(StrCat("SELECT ", kRevisionColumns,
                                          " FROM revisions WHERE "
                                          "namespace = ? AND unikernel = ? ORDER BY number")));
  select.BindAll(unikernel.ns, unikernel.name);
  return ReadAll<RevisionRecord>(select, [](const SqliteStatement& row) {
    return absl::StatusOr<RevisionRecord>(RevisionFromRow(row));
  });
}

absl::Status SqliteStore::CreateRevision(const RevisionRecord& revision) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement insert,
                      db_->Prepare(StrCat("INSERT INTO revisions (", kRevisionColumns,
                                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")));
  // A single statement is its own transaction; the unique keys refuse a
  // duplicate hash or number (AlreadyExists).
  return Annotate(
      insert
          .BindAll(revision.unikernel.ns, revision.unikernel.name, revision.unikernel_uid,
                   revision.number, revision.hash, revision.template_json,
                   Micros(revision.created_time), Micros(revision.progress_time))
          .Run(),
      StrCat("create revision ", revision.number, " of ", ToString(revision.unikernel)));
}

absl::Status SqliteStore::UpdateRevision(const RevisionRecord& revision) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(
      SqliteStatement update,
      db_->Prepare("UPDATE revisions SET unikernel_uid = ?, number = ?, template = ?, "
                   "created_us = ?, progress_us = ? WHERE namespace = ? AND unikernel = ? "
                   "AND hash = ?"));
  NP_RETURN_IF_ERROR(
      Annotate(update
                   .BindAll(revision.unikernel_uid, revision.number, revision.template_json,
                            Micros(revision.created_time), Micros(revision.progress_time),
                            revision.unikernel.ns, revision.unikernel.name, revision.hash)
                   .Run(),
               StrCat("update revision ", revision.number, " of ", ToString(revision.unikernel))));
  if (db_->Changes() == 0) {
    return absl::NotFoundError(
        StrCat("revision ", revision.hash, " of ", ToString(revision.unikernel), " not found"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::DeleteRevision(const ObjectKey& unikernel, const std::string& hash) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(
      SqliteStatement remove,
      db_->Prepare("DELETE FROM revisions WHERE namespace = ? AND unikernel = ? AND hash = ?"));
  NP_RETURN_IF_ERROR(remove.BindAll(unikernel.ns, unikernel.name, hash).Run());
  if (db_->Changes() == 0) {
    return absl::NotFoundError(
        StrCat("revision ", hash, " of ", ToString(unikernel), " not found"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::RecordEvent(const EventRecord& event) {
  absl::Time when = OrNow(event.last_time, options_.now());
  absl::MutexLock lock(&mu_);
  return InWriteTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    NP_ASSIGN_OR_RETURN(
        SqliteStatement upsert,
        db_->Prepare(StrCat("INSERT INTO events (", kEventColumns,
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (kind, "
                            "namespace, name, uid, type, reason, message) DO UPDATE SET "
                            "count = count + 1, last_us = MAX(last_us, excluded.last_us)")));
    const ports::ObjectReference& object = event.object;
    NP_RETURN_IF_ERROR(upsert
                           .BindAll(object.kind, object.ns, object.name, object.uid,
                                    static_cast<int64_t>(event.type), event.reason, event.message,
                                    Micros(when), Micros(when))
                           .Run());
    // Keep the newest max_events (by last occurrence).
    NP_ASSIGN_OR_RETURN(
        SqliteStatement trim,
        db_->Prepare("DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY last_us "
                     "DESC, id DESC LIMIT -1 OFFSET ?)"));
    return trim.BindAll(options_.max_events).Run();
  });
}

absl::StatusOr<std::vector<EventRecord>> SqliteStore::ListEvents(const ports::EventFilter& filter) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare(StrCat("SELECT ", kEventColumns,
                          " FROM events WHERE (?1 IS NULL OR namespace "
                          "= ?1) AND (?2 IS NULL OR name = ?2) ORDER BY last_us, id")));
  if (filter.ns) {
    select.Bind(1, *filter.ns);
  }
  if (filter.name) {
    select.Bind(2, *filter.name);
  }
  return ReadAll<EventRecord>(select, [](const SqliteStatement& row) {
    return absl::StatusOr<EventRecord>(EventFromRow(row));
  });
}

absl::Status SqliteStore::PutHost(const HostRecord& host) {
  Json labels = Json::object();
  for (const auto& [key, value] : host.labels) {
    labels[key] = value;
  }
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement upsert,
                      db_->Prepare("INSERT OR REPLACE INTO hosts (name, labels, memory_bytes, "
                                   "cpus, last_seen_us, state) VALUES (?, ?, ?, ?, ?, ?)"));
  return Annotate(upsert
                      .BindAll(host.name, labels.dump(), host.memory_bytes, host.cpus,
                               Micros(host.last_seen), static_cast<int64_t>(host.state))
                      .Run(),
                  StrCat("put host ", host.name));
}

absl::StatusOr<HostRecord> SqliteStore::GetHost(const std::string& name) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement select,
                      db_->Prepare("SELECT name, labels, memory_bytes, cpus, last_seen_us, state "
                                   "FROM hosts WHERE name = ?"));
  select.BindAll(name);
  NP_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) {
    return absl::NotFoundError(StrCat("host ", name, " not found"));
  }
  return HostFromRow(select);
}

absl::StatusOr<std::vector<HostRecord>> SqliteStore::ListHosts() {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement select,
                      db_->Prepare("SELECT name, labels, memory_bytes, cpus, last_seen_us, state "
                                   "FROM hosts ORDER BY name"));
  return ReadAll<HostRecord>(select, HostFromRow);
}

absl::Status SqliteStore::DeleteHost(const std::string& name) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(SqliteStatement remove, db_->Prepare("DELETE FROM hosts WHERE name = ?"));
  NP_RETURN_IF_ERROR(remove.BindAll(name).Run());
  if (db_->Changes() == 0) {
    return absl::NotFoundError(StrCat("host ", name, " not found"));
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::controller
