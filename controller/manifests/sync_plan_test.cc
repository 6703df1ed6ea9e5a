#include "controller/manifests/sync_plan.h"

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::manifests {
namespace {

using ::testing::HasSubstr;

ManifestDocument Doc(const std::string& file, size_t index, const std::string& name,
                     const std::string& ns = "default") {
  ManifestDocument doc{file, index, {}};
  doc.unikernel.mutable_metadata()->set_name(name);
  doc.unikernel.mutable_metadata()->set_namespace_(ns);
  doc.unikernel.mutable_spec()->set_replicas(1);
  doc.written = doc.unikernel;  // as if the document said replicas: 1
  return doc;
}

ManifestFile File(const std::string& path, std::vector<std::string> names) {
  ManifestFile file{path, {}};
  for (size_t i = 0; i < names.size(); ++i) {
    file.contents.documents.push_back(Doc(path, i, names[i]));
  }
  return file;
}

// A file with an error in document `bad`; its other documents parsed.
ManifestFile InvalidFile(const std::string& path, std::vector<std::string> names, size_t bad) {
  ManifestFile file = File(path, names);
  file.contents.errors.push_back({path, bad, {"spec.replicas", "must be >= 0"}});
  return file;
}

StoredObject Owned(const std::string& name, const std::string& file,
                   const std::string& ns = "default") {
  return {.key = {ns, name}, .manifest_file = file, .resource_version = StrCat("rv-", name)};
}

StoredObject Unmanaged(const std::string& name, const std::string& ns = "default") {
  return {.key = {ns, name}, .resource_version = "rv"};
}

struct Case {
  std::string name;
  DirectoryContents directory;
  std::vector<StoredObject> stored;
  std::vector<std::string> apply;   // "ns/name@file"
  std::vector<std::string> remove;  // "ns/name"
  std::vector<std::string> errors;  // a part of each error's text, in order
};

std::vector<std::string> Applied(const SyncPlan& plan) {
  std::vector<std::string> out;
  for (const v1alpha1::Unikernel& object : plan.apply) {
    out.push_back(StrCat(object.metadata().namespace_(), "/", object.metadata().name(), "@",
                         object.metadata().annotations().at(std::string(kManifestFileAnnotation))));
  }
  return out;
}

std::vector<std::string> Removed(const SyncPlan& plan) {
  std::vector<std::string> out;
  for (const Deletion& deletion : plan.remove) {
    out.push_back(ports::ToString(deletion.key));
  }
  return out;
}

std::vector<Case> Cases() {
  DirectoryContents listing_failed{{File("a.yaml", {"web"})}, {{".", std::nullopt, {"", "EIO"}}}};
  StoredObject deleting = Owned("web", "a.yaml");
  deleting.deleting = true;
  return {
      {.name = "EmptyDirectoryEmptyStore"},
      {.name = "NewFileIsAppliedWithItsPath",
       .directory = {{File("apps/web.yaml", {"web"})}},
       .apply = {"default/web@apps/web.yaml"}},
      {.name = "EveryDocumentInFileOrder",
       .directory = {{File("a.yaml", {"web", "api"}), File("b.yml", {"db"})}},
       .apply = {"default/web@a.yaml", "default/api@a.yaml", "default/db@b.yml"}},
      {.name = "UnchangedObjectsAreLeftToApplyToSkip",
       .directory = {{File("a.yaml", {"web"})}},
       .stored = {Owned("web", "a.yaml")},
       .apply = {"default/web@a.yaml"}},
      {.name = "RemovedFileDeletesWhatItMade",
       .directory = {{File("b.yaml", {"db"})}},
       .stored = {Owned("web", "a.yaml"), Owned("db", "b.yaml")},
       .apply = {"default/db@b.yaml"},
       .remove = {"default/web"}},
      {.name = "DocumentRemovedFromAFileDeletesIt",
       .directory = {{File("a.yaml", {"web"})}},
       .stored = {Owned("api", "a.yaml"), Owned("web", "a.yaml")},
       .apply = {"default/web@a.yaml"},
       .remove = {"default/api"}},
      {.name = "EmptyDirectoryDeletesOnlyWhatItMade",
       .stored = {Owned("web", "a.yaml"), Unmanaged("cli")},
       .remove = {"default/web"}},
      {.name = "CliObjectWithTheSameNameInAnotherNamespaceIsUntouched",
       .directory = {{File("a.yaml", {"web"})}},
       .stored = {Unmanaged("web", "other")},
       .apply = {"default/web@a.yaml"}},
      {.name = "FileNamingACliObjectIsAnErrorAndLeavesIt",
       .directory = {{File("a.yaml", {"web", "api"})}},
       .stored = {Unmanaged("web")},
       .apply = {"default/api@a.yaml"},
       .errors = {"a.yaml[0] metadata.name: Unikernel default/web exists and was not created"}},
      {.name = "InvalidFileAppliesNothingAndDeletesNothing",
       .directory = {{InvalidFile("a.yaml", {"web", "api"}, 2), File("b.yaml", {"db"})}},
       .stored = {Owned("web", "a.yaml"), Owned("gone", "a.yaml")},
       .apply = {"default/db@b.yaml"},
       .errors = {"a.yaml[2] spec.replicas: must be >= 0"}},
      {.name = "UnparsableFileKeepsWhatItMade",
       .directory = {{InvalidFile("a.yaml", {}, 0)}},
       .stored = {Owned("web", "a.yaml"), Owned("db", "b.yaml")},
       .remove = {"default/db"},
       .errors = {"a.yaml[0] spec.replicas"}},
      {.name = "SameNameInTwoFilesAppliesNeitherAndDeletesNeither",
       .directory = {{File("a.yaml", {"web", "api"}), File("b.yaml", {"web"})}},
       .stored = {Owned("web", "a.yaml")},
       .apply = {"default/api@a.yaml"},
       .errors = {"a.yaml[0] metadata.name: Unikernel default/web is defined in a.yaml[0] and "
                  "b.yaml[0]; it is applied from none of them"}},
      {.name = "SameNameTwiceInOneFile",
       .directory = {{File("a.yaml", {"web", "web"})}},
       .errors = {"is defined in a.yaml[0] and a.yaml[1]"}},
      {.name = "SameNameInAnInvalidFileIsStillAmbiguous",
       .directory = {{InvalidFile("a.yaml", {"web"}, 1), File("b.yaml", {"web"})}},
       .errors = {"a.yaml[1] spec.replicas", "defined in a.yaml[0] and b.yaml[0]"}},
      {.name = "ObjectMovedToAnotherFileIsAdoptedNotDeleted",
       .directory = {{File("b.yaml", {"web"})}},
       .stored = {Owned("web", "a.yaml")},
       .apply = {"default/web@b.yaml"}},
      {.name = "ObjectOfAnInvalidFileDefinedElsewhereIsApplied",
       .directory = {{InvalidFile("a.yaml", {}, 0), File("b.yaml", {"web"})}},
       .stored = {Owned("web", "a.yaml")},
       .apply = {"default/web@b.yaml"},
       .errors = {"a.yaml[0]"}},
      {.name = "DirectoryListingErrorAppliesButDeletesNothing",
       .directory = listing_failed,
       .stored = {Owned("old", "gone.yaml")},
       .apply = {"default/web@a.yaml"},
       .errors = {".: EIO"}},
      {.name = "ObjectBeingDeletedIsNeitherAppliedNorDeletedAgain",
       .directory = {{File("a.yaml", {"web"})}},
       .stored = {deleting}},
      {.name = "ObjectBeingDeletedWithItsFileGoneIsNotDeletedAgain", .stored = {deleting}},
      {.name = "DeletionsInKeyOrder",
       .stored = {Owned("b", "x.yaml"), Owned("a", "x.yaml", "z"), Owned("a", "x.yaml")},
       .remove = {"default/a", "default/b", "z/a"}},
  };
}

class PlanSyncTest : public ::testing::TestWithParam<Case> {};

TEST_P(PlanSyncTest, Decides) {
  const Case& c = GetParam();
  SyncPlan plan = PlanSync(c.directory, c.stored);
  EXPECT_EQ(Applied(plan), c.apply);
  EXPECT_EQ(Removed(plan), c.remove);
  ASSERT_EQ(plan.errors.size(), c.errors.size());
  for (size_t i = 0; i < c.errors.size(); ++i) {
    EXPECT_THAT(plan.errors[i].error.ToString(), HasSubstr(c.errors[i]));
  }
}

INSTANTIATE_TEST_SUITE_P(Table, PlanSyncTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(PlanSyncTest, DeletionCarriesTheListedResourceVersionAsPrecondition) {
  SyncPlan plan = PlanSync({}, {Owned("web", "a.yaml")});
  ASSERT_EQ(plan.remove.size(), 1u);
  EXPECT_EQ(plan.remove[0], (Deletion{{"default", "web"}, "rv-web", "a.yaml"}));
}

TEST(PlanSyncTest, ObjectBeingDeletedWaits) {
  StoredObject deleting = Owned("web", "a.yaml");
  deleting.deleting = true;
  SyncPlan plan = PlanSync({{File("a.yaml", {"web", "api"})}}, {deleting});
  EXPECT_EQ(plan.waiting, (std::vector<ports::ObjectKey>{{"default", "web"}}));
  EXPECT_EQ(Applied(plan), (std::vector<std::string>{"default/api@a.yaml"}));
  EXPECT_TRUE(PlanSync({{File("a.yaml", {"api"})}}, {Owned("api", "a.yaml")}).waiting.empty());
}

TEST(PlanSyncTest, ErrorsNameTheObjectWhenKnown) {
  SyncPlan plan = PlanSync({{File("a.yaml", {"web"}), File("b.yaml", {"web"})}}, {});
  ASSERT_EQ(plan.errors.size(), 1u);
  EXPECT_EQ(plan.errors[0].object, (ports::ObjectKey{"default", "web"}));
  plan = PlanSync({{InvalidFile("a.yaml", {}, 0)}}, {});
  ASSERT_EQ(plan.errors.size(), 1u);
  EXPECT_EQ(plan.errors[0].object, std::nullopt);
}

TEST(PlanSyncTest, AppliedObjectKeepsSpecAndOverridesAUserAnnotation) {
  ManifestFile file = File("a.yaml", {"web"});
  (*file.contents.documents[0].unikernel.mutable_metadata()->mutable_annotations())[std::string(
      kManifestFileAnnotation)] = "forged.yaml";
  SyncPlan plan = PlanSync({{file}}, {});
  ASSERT_EQ(plan.apply.size(), 1u);
  EXPECT_EQ(plan.apply[0].spec().replicas(), 1);
  EXPECT_EQ(plan.apply[0].metadata().annotations().at(std::string(kManifestFileAnnotation)),
            "a.yaml");
}

TEST(PlanSyncTest, ReplicasAndPausedTheFileLeavesOutAreNotSent) {
  ManifestFile file = File("a.yaml", {"web"});
  file.contents.documents[0].unikernel.mutable_spec()->set_paused(false);  // defaulted
  file.contents.documents[0].written.mutable_spec()->clear_replicas();
  SyncPlan plan = PlanSync({{file}}, {});
  ASSERT_EQ(plan.apply.size(), 1u);
  EXPECT_FALSE(plan.apply[0].spec().has_replicas());
  EXPECT_FALSE(plan.apply[0].spec().has_paused());
}

TEST(StoredObjectOfTest, ReadsKeyAnnotationVersionAndDeletion) {
  v1alpha1::Unikernel object;
  object.mutable_metadata()->set_name("web");
  object.mutable_metadata()->set_resource_version("7");
  object.mutable_metadata()->set_deletion_timestamp("2026-11-26T00:00:00Z");
  (*object.mutable_metadata()->mutable_annotations())[std::string(kManifestFileAnnotation)] =
      "a.yaml";
  EXPECT_EQ(StoredObjectOf(object), (StoredObject{{"default", "web"}, "a.yaml", "7", true}));
}

}  // namespace
}  // namespace nanoplane::controller::manifests
