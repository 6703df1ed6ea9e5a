#include "controller/adapters/sqlite_store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/adapters/sqlite_schema.h"

namespace nanoplane::controller {

using ports::ObjectKey;
using v1alpha1::Unikernel;

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(SqliteStoreOptions options) {
  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error) {
    return absl::InternalError(
        StrCat("create data directory ", options.data_dir, ": ", error.message()));
  }
  std::string path = (std::filesystem::path(options.data_dir) / "store.db").string();
  NP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  NP_RETURN_IF_ERROR(
      Annotate(ConfigureConnection(*db, options.synchronous_full, options.busy_timeout), path));
  NP_RETURN_IF_ERROR(MigrateSchema(*db));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(options), std::move(db)));
}

SqliteStore::SqliteStore(SqliteStoreOptions options, std::unique_ptr<SqliteDb> db)
    : options_(std::move(options)), db_(std::move(db)) {}

SqliteStore::~SqliteStore() = default;

std::string SqliteStore::path() const {
  absl::MutexLock lock(&mu_);
  return db_->path();
}

absl::Status SqliteStore::InWriteTransaction(const std::function<absl::Status()>& body) {
  NP_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                      SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kWrite));
  NP_RETURN_IF_ERROR(body());
  return transaction.Commit();
}

absl::StatusOr<int64_t> SqliteStore::ReadMeta(const char* key) {
  NP_ASSIGN_OR_RETURN(SqliteStatement select, db_->Prepare("SELECT value FROM meta WHERE key = ?"));
  select.BindAll(key);
  NP_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) {
    return absl::InternalError(StrCat(db_->path(), ": meta.", key, " is missing"));
  }
  return select.Int(0);
}

absl::StatusOr<Unikernel> SqliteStore::ReadObject(const ObjectKey& key) {
  NP_ASSIGN_OR_RETURN(SqliteStatement select,
                      db_->Prepare("SELECT resource_version, object FROM unikernels "
                                   "WHERE namespace = ? AND name = ?"));
  select.BindAll(key.ns, key.name);
  NP_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) {
    decoded_.erase(key);
    return absl::NotFoundError(StrCat("unikernel ", ToString(key), " not found"));
  }
  // resourceVersions are store-wide and never reused, also across processes:
  // the same version is the same object, and decoding its JSON again would
  // be most of the read.
  int64_t version = select.Int(0);
  auto cached = decoded_.find(key);
  if (cached != decoded_.end() && cached->second.first == version) {
    return cached->second.second;
  }
  absl::StatusOr<Unikernel> object = DecodeObject(select.Text(1));
  if (!object.ok()) {
    return Annotate(object.status(), ToString(key));
  }
  RememberDecoded(key, version, *object);
  return object;
}

void SqliteStore::RememberDecoded(const ObjectKey& key, int64_t version, const Unikernel& object) {
  constexpr size_t kDecodedCapacity = 64;
  if (decoded_.size() >= kDecodedCapacity && !decoded_.contains(key)) {
    decoded_.erase(decoded_.begin());
  }
  decoded_[key] = {version, object};
}

absl::StatusOr<Unikernel> SqliteStore::CommitWrite(const WriteResult& result) {
  NP_ASSIGN_OR_RETURN(int64_t version, ReadMeta("resource_version"));
  ++version;
  Unikernel object = result.object;
  object.mutable_metadata()->set_resource_version(StrCat(version));
  ObjectKey key = KeyOf(object);
  std::string json = EncodeObject(object);
  NP_ASSIGN_OR_RETURN(SqliteStatement bump,
                      db_->Prepare("UPDATE meta SET value = ? WHERE key = 'resource_version'"));
  NP_RETURN_IF_ERROR(bump.BindAll(version).Run());
  ports::WatchEventType type = ports::WatchEventType::kModified;
  if (result.outcome == WriteOutcome::kRemoved) {
    type = ports::WatchEventType::kDeleted;
    for (const char* sql : {"DELETE FROM unikernels WHERE namespace = ? AND name = ?",
                            "DELETE FROM revisions WHERE namespace = ? AND unikernel = ?"}) {
      NP_ASSIGN_OR_RETURN(SqliteStatement remove, db_->Prepare(sql));
      NP_RETURN_IF_ERROR(remove.BindAll(key.ns, key.name).Run());
    }
  } else {
    if (result.outcome == WriteOutcome::kAdded) {
      type = ports::WatchEventType::kAdded;
    }
    NP_ASSIGN_OR_RETURN(
        SqliteStatement upsert,
        db_->Prepare("INSERT OR REPLACE INTO unikernels (namespace, name, uid, resource_version, "
                     "generation, deleting, object) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    const v1alpha1::ObjectMeta& meta = object.metadata();
    NP_RETURN_IF_ERROR(upsert
                           .BindAll(key.ns, key.name, meta.uid(), version, meta.generation(),
                                    meta.deletion_timestamp().empty() ? 0 : 1, json)
                           .Run());
  }
  NP_ASSIGN_OR_RETURN(SqliteStatement change,
                      db_->Prepare("INSERT INTO changes (resource_version, type, namespace, name, "
                                   "object) VALUES (?, ?, ?, ?, ?)"));
  NP_RETURN_IF_ERROR(
      change.BindAll(version, static_cast<int64_t>(type), key.ns, key.name, json).Run());
  NP_RETURN_IF_ERROR(TrimHistory(version));
  return object;
}

absl::Status SqliteStore::TrimHistory(int64_t resource_version) {
  int64_t compacted = resource_version - options_.watch_history;
  if (compacted <= 0) {
    return absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(SqliteStatement trim,
                      db_->Prepare("DELETE FROM changes WHERE resource_version <= ?"));
  NP_RETURN_IF_ERROR(trim.BindAll(compacted).Run());
  NP_ASSIGN_OR_RETURN(
      SqliteStatement mark,
      db_->Prepare("UPDATE meta SET value = MAX(value, ?) WHERE key = 'compacted_version'"));
  return mark.BindAll(compacted).Run();
}

absl::StatusOr<Unikernel> SqliteStore::Create(const Unikernel& object) {
  NP_ASSIGN_OR_RETURN(Unikernel prepared, PrepareCreate(object, NewUid(), options_.now()));
  ObjectKey key = KeyOf(prepared);
  absl::MutexLock lock(&mu_);
  Unikernel out;
  NP_RETURN_IF_ERROR(InWriteTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    absl::StatusOr<Unikernel> existing = ReadObject(key);
    if (existing.ok()) {
      return absl::AlreadyExistsError(StrCat("unikernel ", ToString(key), " already exists"));
    }
    if (!absl::IsNotFound(existing.status())) {
      return existing.status();
    }
    NP_ASSIGN_OR_RETURN(out, CommitWrite({.outcome = WriteOutcome::kAdded, .object = prepared}));
    return absl::OkStatus();
  }));
  changed_.SignalAll();
  return out;
}

absl::StatusOr<Unikernel> SqliteStore::Get(const ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  return ReadObject(key);
}

absl::StatusOr<ports::UnikernelList> SqliteStore::List(const ports::ListOptions& options) {
  absl::MutexLock lock(&mu_);
  // One read transaction: the version and the rows are one snapshot.
  NP_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                      SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kRead));
  NP_ASSIGN_OR_RETURN(int64_t version, ReadMeta("resource_version"));
  ports::UnikernelList list{.resource_version = StrCat(version)};
  NP_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare(options.ns ? "SELECT object FROM unikernels WHERE namespace = ? ORDER BY name"
                              : "SELECT object FROM unikernels ORDER BY namespace, name"));
  if (options.ns) {
    select.BindAll(*options.ns);
  }
  while (true) {
    NP_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) {
      break;
    }
    NP_ASSIGN_OR_RETURN(Unikernel object, DecodeObject(select.Text(0)));
    list.items.push_back(std::move(object));
  }
  NP_RETURN_IF_ERROR(transaction.Commit());
  return list;
}

absl::StatusOr<Unikernel> SqliteStore::Write(const ObjectKey& key, const Apply& apply) {
  absl::MutexLock lock(&mu_);
  Unikernel out;
  bool wrote = false;
  bool removed = false;
  NP_RETURN_IF_ERROR(InWriteTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    NP_ASSIGN_OR_RETURN(Unikernel stored, ReadObject(key));
    NP_ASSIGN_OR_RETURN(WriteResult result, apply(stored));
    if (result.outcome == WriteOutcome::kUnchanged) {
      out = std::move(stored);
      return absl::OkStatus();
    }
    wrote = true;
    removed = result.outcome == WriteOutcome::kRemoved;
    NP_ASSIGN_OR_RETURN(out, CommitWrite(result));
    return absl::OkStatus();
  }));
  if (wrote) {
    // Only once committed: a rolled-back version number is used again.
    int64_t version = 0;
    if (removed || !absl::SimpleAtoi(out.metadata().resource_version(), &version)) {
      decoded_.erase(key);
    } else {
      RememberDecoded(key, version, out);
    }
    changed_.SignalAll();
  }
  return out;
}

absl::StatusOr<Unikernel> SqliteStore::Update(const Unikernel& object) {
  return Write(KeyOf(object), [&](const Unikernel& stored) { return ApplyUpdate(stored, object); });
}

absl::StatusOr<Unikernel> SqliteStore::UpdateStatus(const Unikernel& object) {
  return Write(KeyOf(object),
               [&](const Unikernel& stored) { return ApplyStatusUpdate(stored, object); });
}

absl::StatusOr<Unikernel> SqliteStore::Delete(const ObjectKey& key,
                                              const ports::Preconditions& preconditions) {
  absl::Time now = options_.now();
  return Write(key,
               [&](const Unikernel& stored) { return ApplyDelete(stored, preconditions, now); });
}

}  // namespace nanoplane::controller
