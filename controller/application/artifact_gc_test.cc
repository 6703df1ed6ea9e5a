// Artifact garbage collection over a FakeStore and a real FsArtifactStore.

#include "controller/application/artifact_gc.h"

#include "common/manifest_reader.h"
#include "common/sha256.h"
#include "controller/adapters/fs_artifact_store.h"
#include "controller/core/convert.h"
#include "controller/testing/fake_store.h"
#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

class ArtifactGcTest : public ::testing::Test {
 protected:
  void SetUp() override { blobs_ = FsArtifactStore::Open(dir_.path() + "/artifacts").value(); }

  // A stored blob of `content`; its digest.
  std::string Blob(const std::string& content) {
    const std::string digest = Sha256Hex(content);
    auto writer = blobs_->StartPut(digest).value();
    EXPECT_TRUE(writer->Append(content).ok());
    EXPECT_TRUE(writer->Commit().ok());
    EXPECT_TRUE(store_.PutArtifact({.digest = digest, .size = int64_t(content.size())}).ok());
    return digest;
  }

  // Applies "web" with its program from `digest` and records the template as
  // revision `number`, as the reconciler would.
  void ApplyWeb(const std::string& digest, int64_t number) {
    pb::Unikernel object;
    object.mutable_metadata()->set_name("web");
    object.mutable_metadata()->set_namespace_("default");
    object.mutable_metadata()->add_finalizers("nanoplane.dev/instances");
    pb::UnikernelTemplate* tmpl = object.mutable_spec()->mutable_template_();
    tmpl->mutable_image()->set_program("/web");
    tmpl->mutable_image()->mutable_source()->set_sha256(digest);
    absl::StatusOr<pb::Unikernel> stored = store_.Get({.name = "web"});
    if (stored.ok()) {
      *stored->mutable_spec() = object.spec();
      stored = store_.Update(*stored);
    } else {
      stored = store_.Create(object);
    }
    ASSERT_TRUE(stored.ok()) << stored.status();
    core::Template revision = core::TemplateFromProto(*tmpl);
    ASSERT_TRUE(store_
                    .CreateRevision({.unikernel = {.name = "web"},
                                     .unikernel_uid = stored->metadata().uid(),
                                     .number = number,
                                     .hash = revision.hash,
                                     .template_json = revision.canonical})
                    .ok());
  }

  std::vector<std::string> Collect(absl::Duration min_age) {
    absl::StatusOr<ports::GcResult> result = CollectArtifacts(store_, *blobs_, min_age);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->deleted : std::vector<std::string>{};
  }

  TempDir dir_;
  FakeStore store_;
  std::unique_ptr<FsArtifactStore> blobs_;
};

TEST_F(ArtifactGcTest, KeepsWhatTheSpecOrARevisionNamesAndDeletesTheRest) {
  const std::string v1 = Blob("program v1");
  const std::string v2 = Blob("program v2");
  const std::string stray = Blob("uploaded, never applied");
  ApplyWeb(v1, 1);
  ApplyWeb(v2, 2);

  EXPECT_EQ(ReferencedArtifacts(store_).value(), (std::set<std::string>{v1, v2}));
  // A young stray blob may be one the CLI is about to apply.
  EXPECT_TRUE(Collect(absl::Hours(1)).empty());
  EXPECT_EQ(Collect(absl::ZeroDuration()), std::vector<std::string>{stray});
  EXPECT_FALSE(blobs_->Has(stray).value());
  EXPECT_EQ(store_.GetArtifact(stray).status().code(), absl::StatusCode::kNotFound);
  // v1 is only in revision 1's template now, kept for `rollout undo`.
  EXPECT_TRUE(blobs_->Has(v1).value());
  EXPECT_TRUE(blobs_->Has(v2).value());
}

TEST_F(ArtifactGcTest, ABlobOutlivesItsUnikernelUntilTheObjectIsGone) {
  const std::string v1 = Blob("program v1");
  ApplyWeb(v1, 1);
  pb::Unikernel deleting = store_.Delete({.name = "web"}, {}).value();
  ASSERT_FALSE(deleting.metadata().deletion_timestamp().empty());
  // Instances are still being stopped; an agent may yet need the program.
  EXPECT_TRUE(Collect(absl::ZeroDuration()).empty());

  deleting.mutable_metadata()->clear_finalizers();
  ASSERT_TRUE(store_.Update(deleting).ok());
  EXPECT_EQ(Collect(absl::ZeroDuration()), std::vector<std::string>{v1});
  EXPECT_TRUE(store_.ListArtifacts().value().empty());
}

TEST_F(ArtifactGcTest, AnUndecodableRevisionStopsThePassRatherThanGuess) {
  const std::string v1 = Blob("program v1");
  ApplyWeb(v1, 1);
  pb::Unikernel web = store_.Get({.name = "web"}).value();
  ASSERT_TRUE(store_
                  .CreateRevision({.unikernel = {.name = "web"},
                                   .unikernel_uid = web.metadata().uid(),
                                   .number = 2,
                                   .hash = "broken",
                                   .template_json = "{"})
                  .ok());
  EXPECT_FALSE(CollectArtifacts(store_, *blobs_, absl::ZeroDuration()).ok());
  EXPECT_TRUE(blobs_->Has(v1).value());
}

}  // namespace
}  // namespace nanoplane::controller::application
