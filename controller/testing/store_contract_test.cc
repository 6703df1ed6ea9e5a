// The Store contract for Unikernels, run against every implementation.

#include "controller/testing/store_test_harness.h"

namespace nanoplane::controller {
namespace {

using ports::ObjectKey;
using v1alpha1::Unikernel;

TYPED_TEST_SUITE(StoreContractTest, StoreHarnesses, HarnessNames);

TYPED_TEST(StoreContractTest, CreateSetsSystemFieldsAndGetReturnsIt) {
  Unikernel in = MakeUnikernel("web");
  in.mutable_metadata()->clear_namespace_();
  in.mutable_status()->set_replicas(7);  // ignored: status is its own subresource
  Unikernel created = this->MustCreate(in);
  EXPECT_EQ(created.metadata().namespace_(), "default");
  EXPECT_EQ(created.metadata().uid().size(), 36u);
  EXPECT_EQ(created.metadata().generation(), 1);
  EXPECT_FALSE(created.metadata().resource_version().empty());
  this->ExpectStoreTime(created.metadata().creation_timestamp(), "2023-11-14T22:13:20Z");
  EXPECT_EQ(created.status().replicas(), 0);
  absl::StatusOr<Unikernel> got = this->store_->Get({.ns = "default", .name = "web"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(EncodeObject(*got), EncodeObject(created));
}

TYPED_TEST(StoreContractTest, CreateRefusesDuplicatesAndBadInput) {
  Unikernel first = this->MustCreate(MakeUnikernel("web"));
  EXPECT_EQ(this->store_->Create(MakeUnikernel("web")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(this->store_->Create(MakeUnikernel("")).status().code(),
            absl::StatusCode::kInvalidArgument);
  Unikernel versioned = MakeUnikernel("other");
  versioned.mutable_metadata()->set_resource_version("5");
  EXPECT_EQ(this->store_->Create(versioned).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(this->MustCreate(MakeUnikernel("web", 1, "prod")).metadata().uid() !=
              first.metadata().uid());
}

TYPED_TEST(StoreContractTest, GetOfMissingObjectIsNotFound) {
  EXPECT_EQ(this->store_->Get({.name = "nope"}).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreContractTest, ListIsSortedFilteredAndVersioned) {
  this->MustCreate(MakeUnikernel("b"));
  this->MustCreate(MakeUnikernel("a", 1, "prod"));
  Unikernel last = this->MustCreate(MakeUnikernel("a"));
  absl::StatusOr<ports::UnikernelList> all = this->store_->List({});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->items.size(), 3u);
  EXPECT_EQ(KeyOf(all->items[0]), (ObjectKey{"default", "a"}));
  EXPECT_EQ(KeyOf(all->items[1]), (ObjectKey{"default", "b"}));
  EXPECT_EQ(KeyOf(all->items[2]), (ObjectKey{"prod", "a"}));
  EXPECT_EQ(all->resource_version, last.metadata().resource_version());
  absl::StatusOr<ports::UnikernelList> prod = this->store_->List({.ns = "prod"});
  ASSERT_TRUE(prod.ok());
  ASSERT_EQ(prod->items.size(), 1u);
  EXPECT_EQ(prod->items[0].metadata().namespace_(), "prod");
}

TYPED_TEST(StoreContractTest, EveryWriteGetsANewResourceVersion) {
  Unikernel a = this->MustCreate(MakeUnikernel("a"));
  Unikernel b = this->MustCreate(MakeUnikernel("b"));
  EXPECT_NE(a.metadata().resource_version(), b.metadata().resource_version());
  b.mutable_metadata()->mutable_labels()->insert({"tier", "web"});
  absl::StatusOr<Unikernel> updated = this->store_->Update(b);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE(updated->metadata().resource_version(), b.metadata().resource_version());
  EXPECT_NE(updated->metadata().resource_version(), a.metadata().resource_version());
}

TYPED_TEST(StoreContractTest, StaleResourceVersionIsAConflictAndChangesNothing) {
  Unikernel created = this->MustCreate(MakeUnikernel("web"));
  Unikernel first = created;
  first.mutable_spec()->set_replicas(2);
  ASSERT_TRUE(this->store_->Update(first).ok());
  Unikernel stale = created;  // still carries the first resourceVersion
  stale.mutable_spec()->set_replicas(5);
  absl::StatusOr<Unikernel> result = this->store_->Update(stale);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(result.status().message().find("conflict"), std::string_view::npos);
  stale.mutable_status()->set_replicas(5);
  EXPECT_EQ(this->store_->UpdateStatus(stale).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(
      this->store_
          ->Delete(KeyOf(created), {.resource_version = created.metadata().resource_version()})
          .status()
          .code(),
      absl::StatusCode::kAborted);
  absl::StatusOr<Unikernel> stored = this->store_->Get(KeyOf(created));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->spec().replicas(), 2);
  EXPECT_EQ(stored->status().replicas(), 0);
}

TYPED_TEST(StoreContractTest, EmptyResourceVersionUpdatesUnconditionallyButUidMustMatch) {
  Unikernel created = this->MustCreate(MakeUnikernel("web"));
  Unikernel blind = MakeUnikernel("web", 4);
  absl::StatusOr<Unikernel> updated = this->store_->Update(blind);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->spec().replicas(), 4);
  blind.mutable_metadata()->set_uid("another-object");
  EXPECT_EQ(this->store_->Update(blind).status().code(), absl::StatusCode::kAborted);
}

TYPED_TEST(StoreContractTest, GenerationBumpsOnlyWhenTheSpecChanges) {
  Unikernel object = this->MustCreate(MakeUnikernel("web"));
  object.mutable_metadata()->mutable_labels()->insert({"app", "web"});
  object.mutable_metadata()->mutable_annotations()->insert({"note", "x"});
  object.mutable_metadata()->add_finalizers("nanoplane.dev/instances");
  absl::StatusOr<Unikernel> metadata_only = this->store_->Update(object);
  ASSERT_TRUE(metadata_only.ok()) << metadata_only.status();
  EXPECT_EQ(metadata_only->metadata().generation(), 1);
  EXPECT_EQ(metadata_only->metadata().labels().at("app"), "web");
  EXPECT_EQ(metadata_only->metadata().finalizers_size(), 1);

  Unikernel with_status = *metadata_only;
  with_status.mutable_status()->set_observed_generation(1);
  absl::StatusOr<Unikernel> status_only = this->store_->UpdateStatus(with_status);
  ASSERT_TRUE(status_only.ok()) << status_only.status();
  EXPECT_EQ(status_only->metadata().generation(), 1);

  Unikernel spec_change = *status_only;
  spec_change.mutable_spec()->set_replicas(3);
  absl::StatusOr<Unikernel> bumped = this->store_->Update(spec_change);
  ASSERT_TRUE(bumped.ok()) << bumped.status();
  EXPECT_EQ(bumped->metadata().generation(), 2);
  EXPECT_EQ(bumped->status().observed_generation(), 1);  // status kept
}

TYPED_TEST(StoreContractTest, StatusAndSpecAreWrittenSeparately) {
  Unikernel object = this->MustCreate(MakeUnikernel("web", 2));
  Unikernel status_write = object;
  status_write.mutable_status()->set_ready_replicas(2);
  status_write.mutable_spec()->set_replicas(9);                           // ignored
  status_write.mutable_metadata()->mutable_labels()->insert({"x", "y"});  // ignored
  absl::StatusOr<Unikernel> after_status = this->store_->UpdateStatus(status_write);
  ASSERT_TRUE(after_status.ok()) << after_status.status();
  EXPECT_EQ(after_status->status().ready_replicas(), 2);
  EXPECT_EQ(after_status->spec().replicas(), 2);
  EXPECT_TRUE(after_status->metadata().labels().empty());

  Unikernel spec_write = *after_status;
  spec_write.mutable_status()->set_ready_replicas(0);  // ignored by Update
  spec_write.mutable_spec()->set_replicas(3);
  absl::StatusOr<Unikernel> after_spec = this->store_->Update(spec_write);
  ASSERT_TRUE(after_spec.ok()) << after_spec.status();
  EXPECT_EQ(after_spec->status().ready_replicas(), 2);
  EXPECT_EQ(after_spec->spec().replicas(), 3);
}

TYPED_TEST(StoreContractTest, AWriteThatChangesNothingKeepsTheResourceVersion) {
  Unikernel object = this->MustCreate(MakeUnikernel("web"));
  absl::StatusOr<Unikernel> same = this->store_->Update(object);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->metadata().resource_version(), object.metadata().resource_version());
  absl::StatusOr<Unikernel> same_status = this->store_->UpdateStatus(object);
  ASSERT_TRUE(same_status.ok());
  EXPECT_EQ(same_status->metadata().resource_version(), object.metadata().resource_version());
}

TYPED_TEST(StoreContractTest, WritesToMissingObjectsAreNotFound) {
  Unikernel ghost = MakeUnikernel("ghost");
  EXPECT_EQ(this->store_->Update(ghost).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store_->UpdateStatus(ghost).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store_->Delete(KeyOf(ghost), {}).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreContractTest, DeleteWithoutFinalizersRemovesAtOnce) {
  Unikernel object = this->MustCreate(MakeUnikernel("web"));
  absl::StatusOr<Unikernel> deleted = this->store_->Delete(KeyOf(object), {});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(this->store_->Get(KeyOf(object)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(this->store_->Create(MakeUnikernel("web")).ok());  // the name is free again
}

TYPED_TEST(StoreContractTest, DeleteWithFinalizersWaitsForTheLastOne) {
  Unikernel object = MakeUnikernel("web");
  object.mutable_metadata()->add_finalizers("nanoplane.dev/instances");
  object = this->MustCreate(object);
  this->clock_.now += absl::Seconds(5);
  absl::StatusOr<Unikernel> marked = this->store_->Delete(KeyOf(object), {});
  ASSERT_TRUE(marked.ok()) << marked.status();
  this->ExpectStoreTime(marked->metadata().deletion_timestamp(), "2023-11-14T22:13:25Z");
  EXPECT_EQ(marked->metadata().generation(), 2)
      << "marking it deleted bumps it, as Kubernetes does";
  this->clock_.now += absl::Seconds(5);
  absl::StatusOr<Unikernel> again = this->store_->Delete(KeyOf(object), {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->metadata().deletion_timestamp(), marked->metadata().deletion_timestamp());
  EXPECT_EQ(again->metadata().resource_version(), marked->metadata().resource_version());

  Unikernel more = *marked;
  more.mutable_metadata()->add_finalizers("someone.else/hook");
  EXPECT_EQ(this->store_->Update(more).status().code(), absl::StatusCode::kInvalidArgument);

  Unikernel release = *marked;
  release.mutable_metadata()->clear_finalizers();
  absl::StatusOr<Unikernel> last = this->store_->Update(release);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->metadata().name(), "web");
  EXPECT_EQ(this->store_->Get(KeyOf(object)).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreContractTest, RemovingAUnikernelRemovesItsRevisions) {
  Unikernel object = this->MustCreate(MakeUnikernel("web"));
  ASSERT_TRUE(this->store_
                  ->CreateRevision({.unikernel = KeyOf(object),
                                    .unikernel_uid = object.metadata().uid(),
                                    .number = 1,
                                    .hash = "h1"})
                  .ok());
  ASSERT_TRUE(this->store_->Delete(KeyOf(object), {}).ok());
  absl::StatusOr<std::vector<ports::RevisionRecord>> left =
      this->store_->ListRevisions(KeyOf(object));
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace nanoplane::controller
