// SqliteStore beyond the shared contract: the file survives reopening, the
// connection settings, schema versions, two connections on one file, and
// kill -9 in the middle of writes.

#include "controller/adapters/sqlite_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "common/strings.h"
#include "controller/adapters/sqlite_schema.h"
#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::controller {
namespace {

using v1alpha1::Unikernel;

std::unique_ptr<SqliteStore> MustOpen(const std::string& dir, bool full = true) {
  auto store = SqliteStore::Open(
      {.data_dir = dir, .synchronous_full = full, .watch_poll_interval = absl::Milliseconds(20)});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string PragmaText(SqliteDb& db, const std::string& pragma) {
  auto statement = db.Prepare(StrCat("PRAGMA ", pragma));
  EXPECT_TRUE(statement.ok());
  EXPECT_TRUE(statement->Step().value_or(false));
  return statement->Text(0);
}

TEST(SqliteStoreTest, ObjectsAndVersionsSurviveReopening) {
  TempDir dir;
  std::string version;
  {
    auto store = MustOpen(dir.path());
    Unikernel web = store->Create(MakeUnikernel("web")).value();
    web.mutable_spec()->set_replicas(3);
    version = store->Update(web).value().metadata().resource_version();
  }
  auto store = MustOpen(dir.path());
  absl::StatusOr<Unikernel> web = store->Get({.name = "web"});
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_EQ(web->spec().replicas(), 3);
  EXPECT_EQ(web->metadata().generation(), 2);
  auto watcher = store->Watch({.resource_version = version}).value();
  Unikernel db = store->Create(MakeUnikernel("db")).value();
  EXPECT_GT(std::stoll(db.metadata().resource_version()), std::stoll(version));
  auto events = watcher->Next(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].object.metadata().name(), "db");
}

TEST(SqliteStoreTest, UsesWalWithFullSyncAndTheCurrentSchemaVersion) {
  TempDir dir;
  std::string path = MustOpen(dir.path())->path();
  auto db = SqliteDb::Open(path).value();
  EXPECT_EQ(PragmaText(*db, "journal_mode"), "wal");  // persistent in the file
  EXPECT_EQ(db->QueryInt("PRAGMA user_version").value(), SqliteSchemaVersion());
  ASSERT_TRUE(ConfigureConnection(*db, true, absl::Seconds(1)).ok());
  EXPECT_EQ(db->QueryInt("PRAGMA synchronous").value(), 2);  // FULL
}

TEST(SqliteStoreTest, RefusesAFileWrittenByANewerSchema) {
  TempDir dir;
  std::string path = MustOpen(dir.path())->path();
  {
    auto db = SqliteDb::Open(path).value();
    ASSERT_TRUE(db->Exec("PRAGMA user_version = 99").ok());
  }
  EXPECT_EQ(SqliteStore::Open({.data_dir = dir.path()}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SqliteStoreTest, TwoConnectionsOnOneFileShareVersionsAndConflicts) {
  TempDir dir;
  auto a = MustOpen(dir.path());
  auto b = MustOpen(dir.path());
  auto watcher = b->Watch({}).value();
  Unikernel from_a = a->Create(MakeUnikernel("web")).value();
  Unikernel from_b = b->Get({.name = "web"}).value();
  from_a.mutable_spec()->set_replicas(2);
  ASSERT_TRUE(a->Update(from_a).ok());
  from_b.mutable_spec()->set_replicas(5);
  EXPECT_EQ(b->Update(from_b).status().code(), absl::StatusCode::kAborted);
  // b's watcher learns of a's writes by polling.
  std::vector<ports::WatchEvent> events;
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (events.size() < 2 && absl::Now() < deadline) {
    auto more = watcher->Next(deadline);
    ASSERT_TRUE(more.ok()) << more.status();
    events.insert(events.end(), more->begin(), more->end());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].object.spec().replicas(), 2);
}

// The child: creates objects and writes their status, acknowledging each
// committed write on `ack` (an int: 2*i for the create of obj-i, 2*i+1 for its
// status), until killed.
[[noreturn]] void WriteUntilKilled(const std::string& dir, int round, int ack) {
  auto store = SqliteStore::Open({.data_dir = dir});
  if (!store.ok()) {
    _exit(2);
  }
  for (int i = 0;; ++i) {
    std::string name = StrCat("r", round, "-obj-", i);
    absl::StatusOr<Unikernel> created = (*store)->Create(MakeUnikernel(name));
    int code = 2 * i;
    if (!created.ok() || write(ack, &code, sizeof(code)) != sizeof(code)) {
      _exit(3);
    }
    created->mutable_status()->set_replicas(i);
    code = 2 * i + 1;
    if (!(*store)->UpdateStatus(*created).ok() || write(ack, &code, sizeof(code)) != sizeof(code)) {
      _exit(3);
    }
  }
}

// Kills the writer after `after` acknowledgements; returns every write it
// acknowledged (including those still in the pipe when it died).
std::vector<int> RunAndKill(const std::string& dir, int round, int after) {
  int pipe_fds[2];
  EXPECT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    WriteUntilKilled(dir, round, pipe_fds[1]);
  }
  close(pipe_fds[1]);
  std::vector<int> acks;
  int code = 0;
  while (read(pipe_fds[0], &code, sizeof(code)) == sizeof(code)) {
    acks.push_back(code);
    if (static_cast<int>(acks.size()) == after) {
      kill(child, SIGKILL);
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  return acks;
}

TEST(SqliteStoreCrashTest, KillNineLosesNoAcknowledgedWrite) {
  TempDir dir;
  std::mt19937 random(42);
  int64_t last_version = 0;
  for (int round = 0; round < 6; ++round) {
    std::vector<int> acks = RunAndKill(dir.path(), round, 20 + random() % 80);
    ASSERT_FALSE(acks.empty());
    auto store = MustOpen(dir.path());
    for (int code : acks) {
      std::string name = StrCat("r", round, "-obj-", code / 2);
      absl::StatusOr<Unikernel> object = store->Get({.name = name});
      ASSERT_TRUE(object.ok()) << "round " << round << ": lost " << name << ": " << object.status();
      if (code % 2 == 1) {
        EXPECT_EQ(object->status().replicas(), code / 2) << name << ": lost its status write";
      }
    }
    // Versions keep growing across crashes, so watches stay consistent.
    Unikernel probe = store->Create(MakeUnikernel(StrCat("probe-", round))).value();
    int64_t version = std::stoll(probe.metadata().resource_version());
    EXPECT_GT(version, last_version);
    EXPECT_GE(version, static_cast<int64_t>(acks.size()));
    last_version = version;
    auto db = SqliteDb::Open(store->path()).value();
    EXPECT_EQ(PragmaText(*db, "integrity_check"), "ok");
    std::cerr << "round " << round << ": " << acks.size() << " acknowledged writes kept\n";
  }
}

}  // namespace
}  // namespace nanoplane::controller
