// ManifestSyncer over the real SqliteStore and ControllerService, with a
// manifests directory in a temp dir: what a user does to a git checkout.

#include "controller/manifests/manifest_syncer.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/sha256.h"
#include "common/strings.h"
#include "controller/adapters/fs_artifact_store.h"
#include "controller/adapters/sqlite_store.h"
#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::manifests {
namespace {

namespace fs = std::filesystem;
namespace pb = ::nanoplane::v1alpha1;

std::string Unikernel(const std::string& name, int replicas, const std::string& ns = "default") {
  return StrCat("apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\n", "metadata: {name: ", name,
                ", namespace: ", ns, "}\n", "spec: {replicas: ", replicas,
                ", template: {image: {program: /hello}}}\n");
}

class ManifestSyncerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStore::Open({.data_dir = data_.path() + "/store",
                                    .synchronous_full = false,
                                    .watch_poll_interval = absl::Milliseconds(20)});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto artifacts = FsArtifactStore::Open(data_.path() + "/artifacts");
    ASSERT_TRUE(artifacts.ok()) << artifacts.status();
    artifacts_ = *std::move(artifacts);
    use_cases_ = std::make_unique<application::UseCases>(*store_, *artifacts_);
  }

  void StartSyncer(absl::Duration resync = absl::Hours(1),
                   absl::Duration debounce = absl::Milliseconds(50)) {
    auto syncer = ManifestSyncer::Start({.dir = dir_.path(),
                                         .resync_interval = resync,
                                         .debounce = debounce,
                                         .waiting_retry = absl::Milliseconds(100)},
                                        *store_, *use_cases_);
    ASSERT_TRUE(syncer.ok()) << syncer.status();
    syncer_ = *std::move(syncer);
  }

  // As editors and git do: a hidden temporary file renamed over the target.
  void Write(const std::string& relative, const std::string& text) {
    fs::path file = fs::path(dir_.path()) / relative;
    fs::create_directories(file.parent_path());
    fs::path temp = file.parent_path() / ".np-tmp";
    std::ofstream(temp) << text;
    fs::rename(temp, file);
  }

  void Remove(const std::string& relative) { fs::remove(fs::path(dir_.path()) / relative); }

  absl::StatusOr<pb::Unikernel> Get(const std::string& name, const std::string& ns = "default") {
    return store_->Get({ns, name});
  }

  // Polls `condition` until it holds or 4 s pass.
  template <typename F>
  bool Eventually(F condition) {
    absl::Time deadline = absl::Now() + absl::Seconds(4);
    while (absl::Now() < deadline) {
      if (condition()) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return condition();
  }

  bool HasWarning(const std::string& reason, const std::string& text) {
    auto events = store_->ListEvents({});
    if (!events.ok()) {
      return false;
    }
    for (const ports::EventRecord& event : *events) {
      if (event.reason == reason && event.message.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  std::string Annotation(const pb::Unikernel& object) {
    auto it = object.metadata().annotations().find(std::string(kManifestFileAnnotation));
    return it == object.metadata().annotations().end() ? "" : it->second;
  }

  TempDir data_;
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<FsArtifactStore> artifacts_;
  std::unique_ptr<application::UseCases> use_cases_;
  std::unique_ptr<ManifestSyncer> syncer_;
};

TEST_F(ManifestSyncerTest, AppliesEveryFileAtStartWithItsPath) {
  Write("web.yaml", Unikernel("web", 1));
  Write("team/db.yml", Unikernel("db", 2, "data"));
  Write("notes.txt", Unikernel("ignored", 1));
  Write(".git/config.yaml", Unikernel("hidden", 1));
  StartSyncer();
  ASSERT_TRUE(Eventually([&] { return Get("web").ok() && Get("db", "data").ok(); }));
  EXPECT_EQ(Annotation(*Get("web")), "web.yaml");
  EXPECT_EQ(Annotation(*Get("db", "data")), "team/db.yml");
  EXPECT_EQ(Get("db", "data")->spec().replicas(), 2);
  EXPECT_FALSE(Get("ignored").ok());
  EXPECT_FALSE(Get("hidden").ok());
}

TEST_F(ManifestSyncerTest, EditedFileBumpsGeneration) {
  Write("web.yaml", Unikernel("web", 1));
  StartSyncer();
  ASSERT_TRUE(Eventually([&] { return Get("web").ok(); }));
  int64_t generation = Get("web")->metadata().generation();
  Write("web.yaml", Unikernel("web", 3));
  ASSERT_TRUE(Eventually([&] { return Get("web")->spec().replicas() == 3; }));
  EXPECT_GT(Get("web")->metadata().generation(), generation);
}

TEST_F(ManifestSyncerTest, InvalidFileIsReportedAndLeavesTheStoreUntouched) {
  Write("web.yaml", Unikernel("web", 1) + "---\n" + Unikernel("api", 1));
  StartSyncer();
  ASSERT_TRUE(Eventually([&] { return Get("web").ok() && Get("api").ok(); }));
  pb::Unikernel before = *Get("web");
  // A validation error in one document: nothing of the file changes, the
  // other document's edit included, and nothing is deleted.
  Write("web.yaml", Unikernel("web", 5) + "---\n" + Unikernel("api", -1));
  ASSERT_TRUE(
      Eventually([&] { return HasWarning("InvalidManifest", "web.yaml[1] spec.replicas"); }));
  // Then a YAML syntax error.
  Write("web.yaml", "metadata: {name: [\n");
  ASSERT_TRUE(Eventually([&] { return HasWarning("InvalidManifest", "web.yaml"); }));
  Write("other.yaml", Unikernel("marker", 1));  // a later round has run once this appears
  ASSERT_TRUE(Eventually([&] { return Get("marker").ok(); }));
  EXPECT_EQ(Get("web")->metadata().resource_version(), before.metadata().resource_version());
  EXPECT_EQ(Get("web")->spec().replicas(), 1);
  EXPECT_TRUE(Get("api").ok());
  EXPECT_TRUE(Get("api")->metadata().deletion_timestamp().empty());
}

TEST_F(ManifestSyncerTest, RemovedFileDeletesOnlyWhatItMade) {
  pb::Unikernel cli;  // as `nanoplane apply` sends it
  cli.set_api_version("nanoplane.dev/v1alpha1");
  cli.set_kind("Unikernel");
  cli.mutable_metadata()->set_name("web");
  cli.mutable_metadata()->set_namespace_("other");
  cli.mutable_spec()->mutable_template_()->mutable_image()->set_program("/hello");
  absl::StatusOr<std::vector<application::ApplyResult>> applied =
      use_cases_->Apply({.objects = {cli}});
  ASSERT_TRUE(applied.ok()) << applied.status();
  Write("web.yaml", Unikernel("web", 1));
  Write("db.yaml", Unikernel("db", 1));
  StartSyncer();
  ASSERT_TRUE(Eventually([&] { return Get("web").ok() && Get("db").ok(); }));
  Remove("web.yaml");
  // The finalizer keeps it until the reconciler (not running here) stops its
  // instances: deleting is what the syncer does.
  ASSERT_TRUE(Eventually([&] {
    auto web = Get("web");
    return !web.ok() || !web->metadata().deletion_timestamp().empty();
  }));
  EXPECT_TRUE(Get("db")->metadata().deletion_timestamp().empty());
  ASSERT_TRUE(Get("web", "other").ok());
  EXPECT_TRUE(Get("web", "other")->metadata().deletion_timestamp().empty());
}

TEST_F(ManifestSyncerTest, ScaleIsKeptWhenTheFileLeavesReplicasOut) {
  Write("web.yaml",
        StrCat("apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\n", "metadata: {name: web}\n",
               "spec: {template: {image: {program: /hello}}}\n"));
  StartSyncer();
  ASSERT_TRUE(Eventually([&] { return Get("web").ok(); }));
  // As `nanoplane scale web --replicas 3` does.
  ASSERT_TRUE(use_cases_->Scale({.name = "web"}, 3).ok());
  SyncRound round = syncer_->SyncOnce();
  EXPECT_EQ(round.unchanged, 1);
  EXPECT_EQ(Get("web")->spec().replicas(), 3);
}

TEST_F(ManifestSyncerTest, FileRestoredWhileItsObjectIsDeletedCreatesItAgain) {
  Write("web.yaml", Unikernel("web", 1));
  StartSyncer();
  ASSERT_TRUE(Eventually([&] { return Get("web").ok(); }));
  std::string uid = Get("web")->metadata().uid();
  Remove("web.yaml");
  ASSERT_TRUE(Eventually([&] { return !Get("web")->metadata().deletion_timestamp().empty(); }));
  Write("web.yaml", Unikernel("web", 1));
  absl::SleepFor(absl::Milliseconds(150));  // a round has seen it, and waits
  pb::Unikernel stopped = *Get("web");      // what the reconciler does once instances stopped
  stopped.mutable_metadata()->clear_finalizers();
  ASSERT_TRUE(store_->Update(stopped).ok());
  EXPECT_TRUE(Eventually([&] { return Get("web").ok() && Get("web")->metadata().uid() != uid; }));
}

TEST_F(ManifestSyncerTest, FileMissingForAMomentDeletesNothing) {
  Write("web.yaml", Unikernel("web", 1));
  StartSyncer(absl::Hours(1), absl::Milliseconds(500));
  ASSERT_TRUE(Eventually([&] { return Get("web").ok(); }));
  fs::path file = fs::path(dir_.path()) / "web.yaml";
  fs::path aside = fs::path(dir_.path()) / ".web.yaml.swp";
  fs::rename(file, aside);  // as an editor does before writing the new file
  std::thread editor([&] {
    absl::SleepFor(absl::Milliseconds(50));
    fs::rename(aside, file);
  });
  SyncRound round = syncer_->SyncOnce();
  editor.join();
  EXPECT_EQ(round.deleted, 0);
  EXPECT_TRUE(Get("web")->metadata().deletion_timestamp().empty());
}

TEST_F(ManifestSyncerTest, RemovedFileDeletesAnObjectWhoseStatusKeepsChanging) {
  Write("web.yaml", Unikernel("web", 1));
  StartSyncer();
  ASSERT_TRUE(Eventually([&] { return Get("web").ok(); }));
  std::atomic<bool> done = false;
  std::thread reconciler([&] {  // status writes move the resourceVersion
    for (int i = 0; !done; ++i) {
      absl::StatusOr<pb::Unikernel> web = Get("web");
      if (web.ok()) {
        web->mutable_status()->set_replicas(i % 3);
        (void)store_->UpdateStatus(*web);
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  Remove("web.yaml");
  EXPECT_TRUE(Eventually([&] {
    auto web = Get("web");
    return !web.ok() || !web->metadata().deletion_timestamp().empty();
  }));
  done = true;
  reconciler.join();
}

TEST_F(ManifestSyncerTest, SubdirectoryCreatedAfterStartIsWatched) {
  StartSyncer();
  Write("new/deeper/web.yaml", Unikernel("web", 1));
  ASSERT_TRUE(Eventually([&] { return Get("web").ok(); }));
  EXPECT_EQ(Annotation(*Get("web")), "new/deeper/web.yaml");
  // Only a watch on new/deeper sees this (the resync is an hour away).
  Write("new/deeper/web.yaml", Unikernel("web", 4));
  EXPECT_TRUE(Eventually([&] { return Get("web")->spec().replicas() == 4; }));
}

TEST_F(ManifestSyncerTest, ResyncRevertsDriftWithoutFileEvents) {
  Write("web.yaml", Unikernel("web", 1));
  StartSyncer(absl::Milliseconds(200));
  ASSERT_TRUE(Eventually([&] { return Get("web").ok(); }));
  pb::Unikernel drifted = *Get("web");
  drifted.mutable_spec()->set_replicas(7);
  ASSERT_TRUE(store_->Update(drifted).ok());
  EXPECT_TRUE(Eventually([&] { return Get("web")->spec().replicas() == 1; }));
}

// As with `nanoplane apply`: a program given by local path is uploaded, the
// object names it by digest, and a rebuilt program is a new digest (a rollout).
TEST_F(ManifestSyncerTest, LocalProgramsAreUploadedAndAChangedOneIsRolledOut) {
  Write("bin/web", "web program v1");
  const std::string manifest =
      "apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\nmetadata: {name: web}\n"
      "spec: {template: {image: {program: /web, source: {path: bin/web}}}}\n";
  Write("web.yaml", manifest);
  StartSyncer();
  const std::string v1 = Sha256Hex("web program v1");
  ASSERT_TRUE(Eventually([&] {
    auto web = Get("web");
    return web.ok() && web->spec().template_().image().source().sha256() == v1;
  }));
  EXPECT_EQ(Get("web")->spec().template_().image().source().path(), "");
  EXPECT_TRUE(artifacts_->Has(v1).value());

  Write("bin/web", "web program v2");
  syncer_->SyncOnce();
  EXPECT_EQ(Get("web")->spec().template_().image().source().sha256(), Sha256Hex("web program v2"));
  EXPECT_EQ(Get("web")->metadata().generation(), 2);

  // A program that is gone makes the file invalid: the object stays as it was.
  Remove("bin/web");
  syncer_->SyncOnce();
  EXPECT_EQ(Get("web")->metadata().generation(), 2);
  EXPECT_TRUE(HasWarning("InvalidManifest", "spec.template.image.source.path"));
}

TEST_F(ManifestSyncerTest, MissingDirectoryIsAnError) {
  auto syncer = ManifestSyncer::Start({.dir = dir_.path() + "/nope"}, *store_, *use_cases_);
  EXPECT_EQ(syncer.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nanoplane::controller::manifests
