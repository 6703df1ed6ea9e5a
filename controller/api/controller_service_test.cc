// ControllerService over real gRPC on loopback, with a FakeStore behind it.

#include "controller/api/controller_service.h"

#include <thread>

#include "common/codec.h"
#include "common/manifest_reader.h"
#include "common/sha256.h"
#include "controller/api/test_server.h"
#include "controller/application/apply.h"
#include "controller/application/rollout.h"
#include "controller/core/convert.h"
#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::api {
namespace {

namespace pb = ::nanoplane::v1alpha1;
using application::kRestartedAtAnnotation;
using application::TemplateHash;

pb::Unikernel Make(const std::string& name, const std::string& arg = "v1") {
  ManifestSet set = ParseManifests(
      "{apiVersion: nanoplane.dev/v1alpha1, kind: Unikernel, metadata: {name: " + name +
          ", labels: {app: " + name +
          "}}, spec: {replicas: 2, template: {image: {program: /web, "
          "args: [" +
          arg + "]}}}}",
      "test.yaml");
  EXPECT_TRUE(set.ok()) << set.errors[0].ToString();
  return set.documents.at(0).unikernel;
}

class ControllerServiceTest : public ::testing::Test {
 protected:
  grpc::Status Apply(std::vector<pb::Unikernel> objects, apiv1::ApplyResponse* response,
                     bool dry_run = false) {
    apiv1::ApplyRequest request;
    for (pb::Unikernel& object : objects) {
      *request.add_objects() = std::move(object);
    }
    request.set_dry_run(dry_run);
    grpc::ClientContext context;
    return stub_->Apply(&context, request, response);
  }

  apiv1::ApplyResult ApplyOk(const pb::Unikernel& object) {
    apiv1::ApplyResponse response;
    grpc::Status status = Apply({object}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.results_size() == 1 ? response.results(0) : apiv1::ApplyResult();
  }

  pb::Unikernel Stored(const std::string& name) {
    return server_.store().Get({.name = name}).value();
  }

  ApiTestServer server_{{.poll_interval = absl::Milliseconds(20)}};
  std::unique_ptr<apiv1::Controller::Stub> stub_ = server_.NewStub();
};

TEST_F(ControllerServiceTest, ApplyCreatesConfiguresOrLeavesUnchanged) {
  apiv1::ApplyResult created = ApplyOk(Make("web"));
  EXPECT_EQ(created.action(), apiv1::CREATED);
  EXPECT_EQ(created.generation(), 1);
  EXPECT_EQ(Stored("web").metadata().finalizers(0), core::kFinalizer);

  EXPECT_EQ(ApplyOk(Make("web")).action(), apiv1::UNCHANGED);

  pb::Unikernel relabeled = Make("web");
  (*relabeled.mutable_metadata()->mutable_labels())["tier"] = "front";
  apiv1::ApplyResult labeled = ApplyOk(relabeled);
  EXPECT_EQ(labeled.action(), apiv1::CONFIGURED);
  EXPECT_EQ(labeled.generation(), 1);  // metadata only: no new generation

  apiv1::ApplyResult changed = ApplyOk(Make("web", "v2"));
  EXPECT_EQ(changed.action(), apiv1::CONFIGURED);
  EXPECT_EQ(changed.generation(), 2);
}

TEST_F(ControllerServiceTest, ApplyIgnoresStatusAndSystemFieldsFromTheClient) {
  ApplyOk(Make("web"));
  pb::Unikernel sent = Make("web");
  sent.mutable_metadata()->set_resource_version("999");
  sent.mutable_metadata()->set_uid("someone-else");
  sent.mutable_status()->set_ready_replicas(7);
  EXPECT_EQ(ApplyOk(sent).action(), apiv1::UNCHANGED);
  EXPECT_EQ(Stored("web").status().ready_replicas(), 0);
}

TEST_F(ControllerServiceTest, AnInvalidObjectIsRejectedWithItsPathAndNothingIsStored) {
  pb::Unikernel bad = Make("bad");
  bad.mutable_spec()->set_replicas(-1);
  apiv1::ApplyResponse response;
  grpc::Status status = Apply({Make("good"), bad}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("Unikernel default/bad: spec.replicas: "),
            std::string::npos)
      << status.error_message();
  EXPECT_EQ(server_.store().List({}).value().items.size(), 0u);
}

TEST_F(ControllerServiceTest, ASourceMustBeInTheArtifactStore) {
  pb::Unikernel web = Make("web");
  std::string digest = Sha256Hex("program bytes");
  web.mutable_spec()->mutable_template_()->mutable_image()->mutable_source()->set_sha256(digest);
  apiv1::ApplyResponse response;
  grpc::Status status = Apply({web}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("spec.template.image.source.sha256: no artifact"),
            std::string::npos);

  apiv1::ApplyRequest request;
  *request.add_objects() = web;
  request.add_artifacts()->set_sha256(digest);
  request.mutable_artifacts(0)->set_data("program bytes");
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Apply(&context, request, &response).ok());
  EXPECT_EQ(server_.store().GetArtifact(digest).value().referenced_by,
            std::set<std::string>{"default/web"});
}

TEST_F(ControllerServiceTest, DryRunWritesNothing) {
  apiv1::ApplyResponse response;
  ASSERT_TRUE(Apply({Make("web")}, &response, /*dry_run=*/true).ok());
  EXPECT_EQ(response.results(0).action(), apiv1::CREATED);
  EXPECT_FALSE(server_.store().Get({.name = "web"}).ok());
}

TEST_F(ControllerServiceTest, AConflictIsRetriedWithTheStoredVersion) {
  ApplyOk(Make("web"));
  server_.store().FailNext(StoreOp::kUpdate, absl::AbortedError("conflict"), 2);
  EXPECT_EQ(ApplyOk(Make("web", "v2")).generation(), 2);

  server_.store().FailNext(StoreOp::kUpdate, absl::AbortedError("conflict"), 100);
  apiv1::ApplyResponse response;
  EXPECT_EQ(Apply({Make("web", "v3")}, &response).error_code(), grpc::StatusCode::ABORTED);
  server_.store().ClearFailures();
}

TEST_F(ControllerServiceTest, ScaleSetsReplicasAndRefusesNegativeOnes) {
  ApplyOk(Make("web"));
  apiv1::ScaleRequest request;
  request.set_name("web");
  request.set_replicas(5);
  pb::Unikernel scaled;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Scale(&context, request, &scaled).ok());
  EXPECT_EQ(scaled.spec().replicas(), 5);
  EXPECT_EQ(scaled.metadata().generation(), 2);

  request.set_replicas(-3);
  grpc::ClientContext again;
  grpc::Status status = stub_->Scale(&again, request, &scaled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("spec.replicas"), std::string::npos);
  EXPECT_EQ(Stored("web").spec().replicas(), 5);

  request.set_name("nope");
  grpc::ClientContext missing;
  EXPECT_EQ(stub_->Scale(&missing, request, &scaled).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Records the stored template as a revision, as the reconciler would.
void RecordRevision(FakeStore& store, const std::string& name, int64_t number) {
  pb::Unikernel object = store.Get({.name = name}).value();
  core::Template tmpl = core::TemplateFromProto(object.spec().template_());
  ASSERT_TRUE(store
                  .CreateRevision({.unikernel = {.name = name},
                                   .unikernel_uid = object.metadata().uid(),
                                   .number = number,
                                   .hash = tmpl.hash,
                                   .template_json = tmpl.canonical})
                  .ok());
}

TEST_F(ControllerServiceTest, UndoRestoresAnEarlierRevisionsTemplate) {
  ApplyOk(Make("web", "v1"));
  RecordRevision(server_.store(), "web", 1);
  ApplyOk(Make("web", "v2"));
  RecordRevision(server_.store(), "web", 2);
  ApplyOk(Make("web", "v3"));
  RecordRevision(server_.store(), "web", 3);

  apiv1::RolloutUndoRequest request;
  request.set_name("web");
  apiv1::RolloutResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->RolloutUndo(&context, request, &response).ok());
  EXPECT_EQ(response.message(), "unikernel \"web\" rolled back to revision 2");
  EXPECT_EQ(Stored("web").spec().template_().image().args(0), "v2");

  request.set_to_revision(1);
  grpc::ClientContext to_one;
  ASSERT_TRUE(stub_->RolloutUndo(&to_one, request, &response).ok());
  EXPECT_EQ(Stored("web").spec().template_().image().args(0), "v1");
  EXPECT_EQ(Stored("web").metadata().generation(), 5);

  request.set_to_revision(9);
  grpc::ClientContext unknown;
  EXPECT_EQ(stub_->RolloutUndo(&unknown, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  apiv1::RolloutHistoryRequest history_request;
  history_request.set_name("web");
  apiv1::RolloutHistoryResponse history;
  grpc::ClientContext history_context;
  ASSERT_TRUE(stub_->RolloutHistory(&history_context, history_request, &history).ok());
  ASSERT_EQ(history.revisions_size(), 3);
  EXPECT_EQ(history.revisions(0).change_cause(), "initial");
  EXPECT_EQ(history.revisions(1).change_cause(), "image.args");
  EXPECT_TRUE(history.revisions(0).current());
}

TEST_F(ControllerServiceTest, PauseResumeAndRestart) {
  ApplyOk(Make("web"));
  apiv1::ObjectName name;
  name.set_name("web");
  apiv1::RolloutResponse response;
  grpc::ClientContext pause;
  ASSERT_TRUE(stub_->RolloutPause(&pause, name, &response).ok());
  EXPECT_TRUE(Stored("web").spec().paused());

  grpc::ClientContext refused;
  EXPECT_EQ(stub_->RolloutRestart(&refused, name, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  grpc::ClientContext resume;
  ASSERT_TRUE(stub_->RolloutResume(&resume, name, &response).ok());
  EXPECT_FALSE(Stored("web").spec().paused());

  std::string before = TemplateHash(Stored("web").spec().template_());
  grpc::ClientContext restart;
  ASSERT_TRUE(stub_->RolloutRestart(&restart, name, &response).ok());
  pb::Unikernel restarted = Stored("web");
  EXPECT_NE(TemplateHash(restarted.spec().template_()), before);
  EXPECT_EQ(restarted.spec().template_().metadata().annotations().count(
                std::string(kRestartedAtAnnotation)),
            1u);
  // A re-apply of the manifest keeps the restart.
  EXPECT_EQ(ApplyOk(Make("web")).action(), apiv1::UNCHANGED);
}

TEST_F(ControllerServiceTest, DeleteWaitsForTheFinalizerAndRefusesReapply) {
  ApplyOk(Make("web"));
  apiv1::DeleteRequest request;
  request.set_name("web");
  apiv1::DeleteResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Delete(&context, request, &response).ok());
  EXPECT_FALSE(response.gone());
  EXPECT_FALSE(response.object().metadata().deletion_timestamp().empty());

  apiv1::ApplyResponse applied;
  grpc::Status status = Apply({Make("web")}, &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("being deleted"), std::string::npos);

  grpc::ClientContext missing;
  request.set_name("nope");
  EXPECT_EQ(stub_->Delete(&missing, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

grpc::Status Upload(apiv1::Controller::Stub& stub, const std::string& digest,
                    const std::string& data, apiv1::UploadArtifactResponse* response) {
  grpc::ClientContext context;
  auto writer = stub.UploadArtifact(&context, response);
  apiv1::UploadArtifactRequest chunk;
  chunk.set_sha256(digest);
  for (size_t at = 0; at < data.size(); at += 3) {
    chunk.set_data(data.substr(at, 3));
    writer->Write(chunk);
    chunk.clear_sha256();
  }
  writer->WritesDone();
  return writer->Finish();
}

TEST_F(ControllerServiceTest, UploadChecksTheDigest) {
  std::string data = "the program's bytes";
  apiv1::UploadArtifactResponse response;
  ASSERT_TRUE(Upload(*stub_, Sha256Hex(data), data, &response).ok());
  EXPECT_EQ(response.size(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(server_.store().GetArtifact(Sha256Hex(data)).value().size, response.size());

  std::string other = Sha256Hex("something else");
  EXPECT_EQ(Upload(*stub_, other, data, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(server_.artifacts().Has(other).value());

  apiv1::StatArtifactRequest stat;
  stat.set_sha256(Sha256Hex(data));
  apiv1::StatArtifactResponse stat_response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->StatArtifact(&context, stat, &stat_response).ok());
  EXPECT_TRUE(stat_response.present());
}

TEST_F(ControllerServiceTest, ListFiltersByLabels) {
  ApplyOk(Make("web"));
  ApplyOk(Make("db"));
  apiv1::ListRequest request;
  request.set_label_selector("app=db");
  apiv1::ListResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->List(&context, request, &response).ok());
  ASSERT_EQ(response.items_size(), 1);
  EXPECT_EQ(response.items(0).metadata().name(), "db");
}

TEST_F(ControllerServiceTest, RolloutStatusStreamsUntilTheRolloutCompletes) {
  ApplyOk(Make("web"));
  apiv1::RolloutStatusRequest request;
  request.set_name("web");
  request.set_watch(true);
  grpc::ClientContext context;
  auto reader = stub_->RolloutStatus(&context, request);
  std::thread writer([&] {
    for (int available : {0, 1, 2}) {
      absl::SleepFor(absl::Milliseconds(30));
      pb::Unikernel object = Stored("web");
      object.mutable_status()->set_observed_generation(1);
      object.mutable_status()->set_replicas(2);
      object.mutable_status()->set_updated_replicas(2);
      object.mutable_status()->set_available_replicas(available);
      ASSERT_TRUE(server_.store().UpdateStatus(object).ok());
    }
  });
  std::vector<std::string> messages;
  apiv1::RolloutStatusResponse response;
  while (reader->Read(&response)) {
    messages.push_back(response.message());
  }
  writer.join();
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_GE(messages.size(), 3u);
  EXPECT_EQ(messages.front(), "Waiting for unikernel spec update to be observed...");
  EXPECT_EQ(messages.back(), "unikernel \"web\" successfully rolled out");
  EXPECT_TRUE(response.done());
}

TEST_F(ControllerServiceTest, LogsComeFromTheFirstInstanceWhenNoneIsNamed) {
  ApplyOk(Make("web"));
  server_.hub().SetHosts({MakeHostSession("h1", {{"web-b", "default/web"}}),
                          MakeHostSession("h2", {{"web-a", "default/web"}})});
  server_.hub().SetLog("h2", "web-a", "hello from a\n");
  apiv1::LogsRequest request;
  request.set_name("web");
  grpc::ClientContext context;
  auto reader = stub_->Logs(&context, request);
  apiv1::LogChunk chunk;
  std::string log, instance;
  while (reader->Read(&chunk)) {
    instance += chunk.instance();
    log += chunk.data();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(instance, "web-a");
  EXPECT_EQ(log, "hello from a\n");

  request.set_instance("web-z");
  grpc::ClientContext missing;
  auto none = stub_->Logs(&missing, request);
  while (none->Read(&chunk)) {
  }
  EXPECT_EQ(none->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ControllerServiceTest, HostsMergeTheHubAndTheRegistry) {
  server_.hub().SetHosts({MakeHostSession("h1", {{"web-a", "default/web"}})});
  ASSERT_TRUE(server_.store()
                  .PutHost({.name = "h2",
                            .memory_bytes = 1 << 30,
                            .cpus = 2,
                            .state = ports::HostState::kNotReady})
                  .ok());
  apiv1::HostsResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Hosts(&context, {}, &response).ok());
  ASSERT_EQ(response.hosts_size(), 2);
  EXPECT_EQ(response.hosts(0).accelerator(), "TCG");
  EXPECT_EQ(response.hosts(0).instances(), 1);
  EXPECT_EQ(response.hosts(1).state(), "NotReady");
  EXPECT_EQ(response.hosts(1).cpus(), 2);
}

TEST_F(ControllerServiceTest, WatchSendsTheCurrentObjectsThenChanges) {
  ApplyOk(Make("web"));
  apiv1::WatchRequest request;
  grpc::ClientContext context;
  auto reader = stub_->Watch(&context, request);
  apiv1::WatchEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), apiv1::ADDED);
  ApplyOk(Make("web", "v2"));
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), apiv1::MODIFIED);
  EXPECT_EQ(event.object().metadata().generation(), 2);
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// The embedded store round-trips objects through JSON: apply must still see
// an unchanged object as unchanged.
TEST(ControllerServiceSqliteTest, ApplyOverTheEmbeddedStore) {
  TempDir dir;
  auto store = SqliteStore::Open({.data_dir = dir.path(), .synchronous_full = false}).value();
  ApiTestServer server({}, store.get());
  auto stub = server.NewStub();
  auto apply = [&](const pb::Unikernel& object) {
    apiv1::ApplyRequest request;
    *request.add_objects() = object;
    apiv1::ApplyResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(stub->Apply(&context, request, &response).ok());
    return response.results(0);
  };
  EXPECT_EQ(apply(Make("web")).action(), apiv1::CREATED);
  EXPECT_EQ(apply(Make("web")).action(), apiv1::UNCHANGED);
  apiv1::ApplyResult changed = apply(Make("web", "v2"));
  EXPECT_EQ(changed.action(), apiv1::CONFIGURED);
  EXPECT_EQ(changed.generation(), 2);
  EXPECT_EQ(apply(Make("web", "v2")).action(), apiv1::UNCHANGED);
}

}  // namespace
}  // namespace nanoplane::controller::api
