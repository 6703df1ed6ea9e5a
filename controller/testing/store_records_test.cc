// The Store contract for revisions, events, hosts, the artifact index and
// leases, run against every implementation.

#include "controller/testing/store_test_harness.h"

namespace nanoplane::controller {
namespace {

using ports::ArtifactRecord;
using ports::EventRecord;
using ports::HostRecord;
using ports::ObjectKey;
using ports::RevisionRecord;

template <typename Harness>
class StoreRecordsTest : public StoreContractTest<Harness> {};

TYPED_TEST_SUITE(StoreRecordsTest, StoreHarnesses, HarnessNames);

const ObjectKey kWeb{"default", "web"};
const std::string kDigestA(64, 'a');
const std::string kDigestB(64, 'b');

RevisionRecord Revision(int64_t number, const std::string& hash) {
  return {.unikernel = kWeb,
          .unikernel_uid = "uid-1",
          .number = number,
          .hash = hash,
          .template_json = R"({"image":{"program":"/bin/web"}})",
          .created_time = absl::FromUnixSeconds(100 + number),
          .progress_time = absl::FromUnixSeconds(200 + number)};
}

TYPED_TEST(StoreRecordsTest, RevisionsAreListedByNumberAndUniquePerHashAndNumber) {
  ASSERT_TRUE(this->store_->CreateRevision(Revision(2, "h2")).ok());
  ASSERT_TRUE(this->store_->CreateRevision(Revision(1, "h1")).ok());
  EXPECT_EQ(this->store_->CreateRevision(Revision(3, "h1")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(this->store_->CreateRevision(Revision(2, "h3")).code(),
            absl::StatusCode::kAlreadyExists);
  auto list = this->store_->ListRevisions(kWeb);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(*list, (std::vector<RevisionRecord>{Revision(1, "h1"), Revision(2, "h2")}));
  auto other = this->store_->ListRevisions({"default", "other"});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TYPED_TEST(StoreRecordsTest, UpdateRevisionRenumbersLikeUndo) {
  ASSERT_TRUE(this->store_->CreateRevision(Revision(1, "h1")).ok());
  ASSERT_TRUE(this->store_->CreateRevision(Revision(2, "h2")).ok());
  RevisionRecord undo = Revision(3, "h1");
  ASSERT_TRUE(this->store_->UpdateRevision(undo).ok());
  auto list = this->store_->ListRevisions(kWeb);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<RevisionRecord>{Revision(2, "h2"), undo}));
  EXPECT_EQ(this->store_->UpdateRevision(Revision(2, "h1")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(this->store_->UpdateRevision(Revision(9, "nope")).code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreRecordsTest, DeleteRevision) {
  ASSERT_TRUE(this->store_->CreateRevision(Revision(1, "h1")).ok());
  ASSERT_TRUE(this->store_->DeleteRevision(kWeb, "h1").ok());
  EXPECT_EQ(this->store_->DeleteRevision(kWeb, "h1").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(this->store_->ListRevisions(kWeb)->empty());
}

EventRecord Event(const std::string& name, const std::string& reason, const std::string& ns,
                  absl::Time when) {
  return {.object = {.ns = ns, .name = name, .uid = "u"},
          .type = ports::EventType::kWarning,
          .reason = reason,
          .message = "0/3 hosts fit",
          .last_time = when};
}

TYPED_TEST(StoreRecordsTest, RepeatedEventsAreCountedOnce) {
  absl::Time t0 = absl::FromUnixSeconds(1000);
  ASSERT_TRUE(this->store_->RecordEvent(Event("web", "FailedScheduling", "default", t0)).ok());
  ASSERT_TRUE(
      this->store_->RecordEvent(Event("db", "Scaled", "default", t0 + absl::Seconds(1))).ok());
  ASSERT_TRUE(
      this->store_->RecordEvent(Event("web", "FailedScheduling", "default", t0 + absl::Seconds(9)))
          .ok());
  auto events = this->store_->ListEvents({});
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].object.name, "db");  // sorted by last occurrence
  const EventRecord& repeated = (*events)[1];
  EXPECT_EQ(repeated.count, 2);
  EXPECT_EQ(repeated.first_time, t0);
  EXPECT_EQ(repeated.last_time, t0 + absl::Seconds(9));
  EXPECT_EQ(repeated.type, ports::EventType::kWarning);
}

TYPED_TEST(StoreRecordsTest, EventsWithoutATimeUseTheClockAndFilterByObject) {
  ASSERT_TRUE(this->store_->RecordEvent(Event("web", "Started", "prod", absl::UnixEpoch())).ok());
  ASSERT_TRUE(
      this->store_->RecordEvent(Event("web", "Started", "default", absl::UnixEpoch())).ok());
  ASSERT_TRUE(this->store_->RecordEvent(Event("db", "Started", "prod", absl::UnixEpoch())).ok());
  auto prod_web = this->store_->ListEvents({.ns = "prod", .name = "web"});
  ASSERT_TRUE(prod_web.ok());
  ASSERT_EQ(prod_web->size(), 1u);
  EXPECT_EQ((*prod_web)[0].first_time, this->clock_.now);
  EXPECT_EQ(this->store_->ListEvents({.ns = "prod"})->size(), 2u);
  EXPECT_EQ(this->store_->ListEvents({.name = "web"})->size(), 2u);
}

HostRecord Host(const std::string& name, int64_t memory) {
  return {.name = name,
          .labels = {{"zone", "a"}, {"arch", "x86_64"}},
          .memory_bytes = memory,
          .cpus = 4,
          .last_seen = absl::FromUnixSeconds(500),
          .state = ports::HostState::kReady};
}

TYPED_TEST(StoreRecordsTest, HostRegistry) {
  ASSERT_TRUE(this->store_->PutHost(Host("h2", 1 << 30)).ok());
  ASSERT_TRUE(this->store_->PutHost(Host("h1", 2LL << 30)).ok());
  HostRecord lost = Host("h2", 1 << 30);
  lost.state = ports::HostState::kNotReady;
  lost.labels.clear();
  ASSERT_TRUE(this->store_->PutHost(lost).ok());
  auto got = this->store_->GetHost("h2");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, lost);
  auto hosts = this->store_->ListHosts();
  ASSERT_TRUE(hosts.ok());
  EXPECT_EQ(*hosts, (std::vector<HostRecord>{Host("h1", 2LL << 30), lost}));
  ASSERT_TRUE(this->store_->DeleteHost("h1").ok());
  EXPECT_EQ(this->store_->DeleteHost("h1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store_->GetHost("h1").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreRecordsTest, ArtifactIndexKeepsTheFirstRecordAndChecksTheSize) {
  ASSERT_TRUE(this->store_->PutArtifact({.digest = kDigestA, .size = 10}).ok());
  this->clock_.now += absl::Hours(1);
  ASSERT_TRUE(this->store_->PutArtifact({.digest = kDigestA, .size = 10}).ok());
  EXPECT_EQ(this->store_->PutArtifact({.digest = kDigestA, .size = 11}).code(),
            absl::StatusCode::kInvalidArgument);
  auto got = this->store_->GetArtifact(kDigestA);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size, 10);
  EXPECT_EQ(got->created_time, this->clock_.now - absl::Hours(1));
  EXPECT_EQ(this->store_->GetArtifact(kDigestB).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(this->store_->DeleteArtifact(kDigestA).ok());
  EXPECT_EQ(this->store_->DeleteArtifact(kDigestA).code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreRecordsTest, ArtifactReferencesAreReplacedPerReferrer) {
  ASSERT_TRUE(this->store_->PutArtifact({.digest = kDigestA, .size = 1}).ok());
  ASSERT_TRUE(this->store_->PutArtifact({.digest = kDigestB, .size = 2}).ok());
  ASSERT_TRUE(this->store_->SetArtifactReferences("default/web", {kDigestA, kDigestB}).ok());
  ASSERT_TRUE(this->store_->SetArtifactReferences("default/db", {kDigestA}).ok());
  ASSERT_TRUE(this->store_->SetArtifactReferences("default/web", {kDigestA}).ok());
  auto list = this->store_->ListArtifacts();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].referenced_by, (std::set<std::string>{"default/db", "default/web"}));
  EXPECT_TRUE((*list)[1].referenced_by.empty());
  ASSERT_TRUE(this->store_->SetArtifactReferences("default/web", {}).ok());
  EXPECT_EQ(this->store_->GetArtifact(kDigestA)->referenced_by,
            (std::set<std::string>{"default/db"}));
}

TYPED_TEST(StoreRecordsTest, LeaseIsExclusiveUntilItExpiresOrIsReleased) {
  absl::Time start = this->clock_.now;
  auto first = this->store_->AcquireLease("controller", "a", absl::Seconds(15));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->acquire_time, start);
  EXPECT_EQ(this->store_->AcquireLease("controller", "b", absl::Seconds(15)).status().code(),
            absl::StatusCode::kAborted);
  this->clock_.now += absl::Seconds(10);
  auto renewed = this->store_->AcquireLease("controller", "a", absl::Seconds(15));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->acquire_time, start);
  EXPECT_EQ(renewed->renew_time, this->clock_.now);
  this->clock_.now += absl::Seconds(16);  // a stopped renewing
  auto taken = this->store_->AcquireLease("controller", "b", absl::Seconds(15));
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->holder, "b");
  EXPECT_EQ(taken->acquire_time, this->clock_.now);
  EXPECT_EQ(this->store_->ReleaseLease("controller", "a").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(this->store_->ReleaseLease("controller", "b").ok());
  EXPECT_TRUE(this->store_->AcquireLease("controller", "a", absl::Seconds(15)).ok());
}

}  // namespace
}  // namespace nanoplane::controller
