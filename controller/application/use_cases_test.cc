// The use cases called directly, as the manifests syncer and the kubectl
// plugin call them: no gRPC in between.

#include "controller/application/use_cases.h"

#include <stdlib.h>

#include <filesystem>

#include "common/manifest_reader.h"
#include "common/sha256.h"
#include "controller/adapters/fs_artifact_store.h"
#include "controller/testing/fake_store.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

pb::Unikernel Make(const std::string& name, const std::string& extra = "") {
  ManifestSet set = ParseManifests(
      "{apiVersion: nanoplane.dev/v1alpha1, kind: Unikernel, metadata: {name: " + name +
          "}, spec: {replicas: 2, template: {image: {program: /web" + extra + "}}}}",
      "test.yaml");
  EXPECT_TRUE(set.ok()) << set.errors[0].ToString();
  return set.documents.at(0).unikernel;
}

class UseCasesTest : public ::testing::Test {
 protected:
  UseCasesTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "np-uc-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    artifacts_ = FsArtifactStore::Open(dir_ + "/artifacts").value();
    use_cases_ = std::make_unique<UseCases>(
        store_, *artifacts_, UseCaseOptions{.poll_interval = absl::Milliseconds(10)});
  }
  ~UseCasesTest() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  FakeStore store_;
  std::unique_ptr<FsArtifactStore> artifacts_;
  std::unique_ptr<UseCases> use_cases_;
};

TEST_F(UseCasesTest, ApplyCreatesThenLeavesUnchanged) {
  absl::StatusOr<std::vector<ApplyResult>> first = use_cases_->Apply({.objects = {Make("web")}});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].action, ApplyAction::kCreated);
  EXPECT_EQ((*first)[0].key, (ports::ObjectKey{.name = "web"}));
  absl::StatusOr<std::vector<ApplyResult>> again = use_cases_->Apply({.objects = {Make("web")}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].action, ApplyAction::kUnchanged);
}

TEST_F(UseCasesTest, AnInvalidObjectAppliesNothingOfTheRequest) {
  pb::Unikernel bad = Make("bad");
  bad.mutable_spec()->set_replicas(-1);
  absl::StatusOr<std::vector<ApplyResult>> applied =
      use_cases_->Apply({.objects = {Make("good"), bad}});
  EXPECT_TRUE(absl::IsInvalidArgument(applied.status())) << applied.status();
  EXPECT_NE(applied.status().message().find("spec.replicas"), std::string::npos);
  EXPECT_TRUE(absl::IsNotFound(store_.Get({.name = "good"}).status()));
}

TEST_F(UseCasesTest, InlineArtifactsAreStoredBeforeTheObjectsNamingThemAreChecked) {
  std::string data = "#!/bin/true\n";
  std::string digest = Sha256Hex(data);
  pb::Unikernel web = Make("web", ", source: {sha256: \"" + digest + "\"}");
  EXPECT_TRUE(absl::IsInvalidArgument(use_cases_->Apply({.objects = {web}}).status()));
  absl::StatusOr<std::vector<ApplyResult>> applied =
      use_cases_->Apply({.objects = {web}, .artifacts = {{.sha256 = digest, .data = data}}});
  ASSERT_TRUE(applied.ok()) << applied.status();
  absl::StatusOr<std::optional<int64_t>> size = use_cases_->StatArtifact(digest);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, static_cast<int64_t>(data.size()));
}

TEST_F(UseCasesTest, RolloutVerbsSayWhatTheyDidAsKubectlDoes) {
  ASSERT_TRUE(use_cases_->Apply({.objects = {Make("web")}}).ok());
  ports::ObjectKey key{.name = "web"};
  EXPECT_EQ(use_cases_->RolloutPause(key)->message, "unikernel \"web\" paused");
  EXPECT_EQ(use_cases_->RolloutPause(key)->message, "unikernel \"web\" is already paused");
  EXPECT_TRUE(absl::IsFailedPrecondition(use_cases_->RolloutRestart(key).status()));
  absl::StatusOr<RolloutResult> resumed = use_cases_->RolloutResume(key);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->message, "unikernel \"web\" resumed");
  absl::StatusOr<RolloutResult> restarted = use_cases_->RolloutRestart(key);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_EQ(restarted->object.metadata().generation(), resumed->object.metadata().generation() + 1)
      << "a new template";
  EXPECT_TRUE(absl::IsNotFound(use_cases_->RolloutPause({.name = "nope"}).status()));
}

TEST_F(UseCasesTest, ScaleRefusesWhatTheSchemaRefuses) {
  ASSERT_TRUE(use_cases_->Apply({.objects = {Make("web")}}).ok());
  EXPECT_EQ(use_cases_->Scale({.name = "web"}, 5)->spec().replicas(), 5);
  absl::StatusOr<pb::Unikernel> negative = use_cases_->Scale({.name = "web"}, -2);
  EXPECT_TRUE(absl::IsInvalidArgument(negative.status())) << negative.status();
  EXPECT_EQ(store_.Get({.name = "web"})->spec().replicas(), 5);
}

TEST_F(UseCasesTest, DeleteSaysWhetherAFinalizerKeepsTheObject) {
  ASSERT_TRUE(use_cases_->Apply({.objects = {Make("web")}}).ok());
  absl::StatusOr<DeleteResult> deleted = use_cases_->Delete({.name = "web"}, "");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_FALSE(deleted->gone);  // the controller's finalizer waits for the instances
  EXPECT_FALSE(deleted->object.metadata().deletion_timestamp().empty());
}

TEST_F(UseCasesTest, WatchEndsWhenCancelled) {
  ASSERT_TRUE(use_cases_->Apply({.objects = {Make("web")}}).ok());
  std::vector<UnikernelChange> seen;
  int polls = 0;
  absl::Status watched = use_cases_->WatchUnikernels(
      {.ns = "default"},
      [&](const UnikernelChange& change) {
        seen.push_back(change);
        return true;
      },
      [&] { return ++polls > 3; });
  EXPECT_TRUE(absl::IsCancelled(watched)) << watched;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type, ports::WatchEventType::kAdded);
}

}  // namespace
}  // namespace nanoplane::controller::application
