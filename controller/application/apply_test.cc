#include "controller/application/apply.h"

#include "common/manifest_reader.h"
#include "controller/core/convert.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

pb::Unikernel Web() {
  ManifestSet set = ParseManifests(R"(
apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  template:
    image:
      program: /web
      source: {sha256: "0000000000000000000000000000000000000000000000000000000000000001"}
      files:
        - path: /etc/a
          source: {sha256: "0000000000000000000000000000000000000000000000000000000000000002"}
)",
                                   "web.yaml");
  EXPECT_TRUE(set.ok()) << set.errors[0].ToString();
  return set.documents.at(0).unikernel;
}

TEST(PrepareAppliedTest, DropsStatusAndSystemMetadata) {
  pb::Unikernel in = Web();
  in.mutable_metadata()->set_uid("u");
  in.mutable_metadata()->set_resource_version("7");
  in.mutable_metadata()->set_generation(9);
  in.mutable_metadata()->add_finalizers("x");
  in.mutable_metadata()->set_deletion_timestamp("2024-01-01T00:00:00Z");
  in.mutable_status()->set_replicas(5);
  pb::Unikernel out = PrepareApplied(in);
  EXPECT_EQ(out.metadata().uid(), "");
  EXPECT_EQ(out.metadata().resource_version(), "");
  EXPECT_EQ(out.metadata().generation(), 0);
  EXPECT_TRUE(out.metadata().finalizers().empty());
  EXPECT_EQ(out.metadata().deletion_timestamp(), "");
  EXPECT_FALSE(out.has_status());
  EXPECT_EQ(out.metadata().namespace_(), "default");
  EXPECT_EQ(out.spec().replicas(), 2);
  EXPECT_TRUE(ValidateApplied(out).empty());
}

TEST(PrepareAppliedTest, DefaultsUnsetFields) {
  pb::Unikernel in = Web();
  in.mutable_spec()->clear_replicas();
  in.mutable_metadata()->clear_namespace_();
  pb::Unikernel out = PrepareApplied(in);
  EXPECT_EQ(out.spec().replicas(), 1);
  EXPECT_EQ(out.metadata().namespace_(), "default");
}

TEST(ValidateAppliedTest, NamesTheFieldPath) {
  pb::Unikernel in = Web();
  in.mutable_spec()->set_replicas(-1);
  FieldErrors errors = ValidateApplied(PrepareApplied(in));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "spec.replicas");
  EXPECT_EQ(FormatObjectErrors(in, errors).rfind("Unikernel default/web: spec.replicas: ", 0), 0u);
}

TEST(MergeForApplyTest, TakesSpecLabelsAnnotationsKeepsSystemFields) {
  pb::Unikernel stored = PrepareCreate(PrepareApplied(Web()));
  stored.mutable_metadata()->set_uid("u1");
  stored.mutable_metadata()->set_resource_version("4");
  stored.mutable_metadata()->set_generation(3);
  (*stored.mutable_metadata()->mutable_annotations())["nanoplane.dev/source"] = "dir";
  (*stored.mutable_metadata()->mutable_annotations())["note"] = "old";
  stored.mutable_status()->set_replicas(2);
  pb::Unikernel applied = PrepareApplied(Web());
  applied.mutable_spec()->set_replicas(5);
  applied.mutable_metadata()->mutable_labels()->clear();

  pb::Unikernel merged = MergeForApply(stored, applied, applied);
  EXPECT_EQ(merged.spec().replicas(), 5);
  EXPECT_TRUE(merged.metadata().labels().empty());
  EXPECT_EQ(merged.metadata().annotations().count("note"), 0u);
  EXPECT_EQ(merged.metadata().annotations().at("nanoplane.dev/source"), "dir");
  EXPECT_EQ(merged.metadata().uid(), "u1");
  EXPECT_EQ(merged.metadata().resource_version(), "4");
  ASSERT_EQ(merged.metadata().finalizers_size(), 1);
  EXPECT_EQ(merged.metadata().finalizers(0), core::kFinalizer);
}

TEST(MergeForApplyTest, KeepsTheRestartMarkerOfTheStoredTemplate) {
  pb::Unikernel stored = PrepareApplied(Web());
  (*stored.mutable_spec()
        ->mutable_template_()
        ->mutable_metadata()
        ->mutable_annotations())[std::string(kRestartedAtAnnotation)] = "2024-01-01T00:00:00Z";
  pb::Unikernel merged = MergeForApply(stored, PrepareApplied(Web()), Web());
  EXPECT_EQ(
      merged.spec().template_().metadata().annotations().at(std::string(kRestartedAtAnnotation)),
      "2024-01-01T00:00:00Z");
  EXPECT_TRUE(merged.spec().template_().image().env().empty()) << "not an environment variable";
}

// `nanoplane scale` and `rollout pause` outlive a re-apply of a manifest that
// does not say replicas or paused; one that does say them wins.
TEST(MergeForApplyTest, KeepsScaleAndPauseTheManifestLeavesOut) {
  pb::Unikernel stored = PrepareApplied(Web());
  stored.mutable_spec()->set_replicas(7);
  stored.mutable_spec()->set_paused(true);
  pb::Unikernel sent = Web();
  sent.mutable_spec()->clear_replicas();
  sent.mutable_spec()->clear_paused();
  pb::Unikernel merged = MergeForApply(stored, PrepareApplied(sent), sent);
  EXPECT_EQ(merged.spec().replicas(), 7);
  EXPECT_TRUE(merged.spec().paused());

  sent.mutable_spec()->set_replicas(2);
  sent.mutable_spec()->set_paused(false);
  merged = MergeForApply(stored, PrepareApplied(sent), sent);
  EXPECT_EQ(merged.spec().replicas(), 2);
  EXPECT_FALSE(merged.spec().paused());
}

TEST(ArtifactReferencesTest, ListsStoreOnlySourcesWithTheirPaths) {
  pb::Unikernel object = Web();
  std::vector<ArtifactReference> refs = ArtifactReferences(object.spec().template_());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].path, "spec.template.image.source.sha256");
  EXPECT_EQ(refs[1].path, "spec.template.image.files[0].source.sha256");
  EXPECT_EQ(ReferencedDigests(object.spec().template_()).size(), 2u);
}

TEST(LabelSelectorTest, ParsesAndMatchesEveryForm) {
  auto selector = ParseLabelSelector("app=web, tier==front,env!=prod,canary,!legacy");
  ASSERT_TRUE(selector.ok()) << selector.status();
  ASSERT_EQ(selector->size(), 5u);
  EXPECT_TRUE(Matches(*selector, {{"app", "web"}, {"tier", "front"}, {"canary", ""}}));
  EXPECT_FALSE(Matches(*selector, {{"app", "web"}, {"tier", "front"}}));
  EXPECT_FALSE(
      Matches(*selector, {{"app", "web"}, {"tier", "front"}, {"canary", ""}, {"legacy", "1"}}));
  EXPECT_FALSE(
      Matches(*selector, {{"app", "web"}, {"tier", "front"}, {"canary", ""}, {"env", "prod"}}));
  EXPECT_TRUE(Matches(*ParseLabelSelector(""), {}));
  EXPECT_FALSE(ParseLabelSelector("=x").ok());
  EXPECT_FALSE(ParseLabelSelector("a=b=c").ok());
}

}  // namespace
}  // namespace nanoplane::controller::application
