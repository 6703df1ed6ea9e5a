// The Store's records as Kubernetes objects, and back.

#include "controller/adapters/kube_resources.h"

#include <gtest/gtest.h>

namespace nanoplane::controller::kube_resources {
namespace {

const absl::Time kT = absl::FromUnixSeconds(1'700'000'000);

TEST(KubeResourcesTest, PathsAreTheApiServersRestPaths) {
  EXPECT_EQ(UnikernelsPath(std::nullopt), "/apis/nanoplane.dev/v1alpha1/unikernels");
  EXPECT_EQ(UnikernelPath({.ns = "prod", .name = "web"}),
            "/apis/nanoplane.dev/v1alpha1/namespaces/prod/unikernels/web");
  EXPECT_EQ(RevisionsPath("prod"), "/apis/apps/v1/namespaces/prod/controllerrevisions");
  EXPECT_EQ(EventsPath("prod"), "/apis/events.k8s.io/v1/namespaces/prod/events");
  EXPECT_EQ(HostPath("h1"), "/apis/nanoplane.dev/v1alpha1/hosts/h1");
  EXPECT_EQ(LeasePath("nanoplane-system", "nanoplane-controller"),
            "/apis/coordination.k8s.io/v1/namespaces/nanoplane-system/leases/nanoplane-controller");
}

// Written back unchanged, an object as the API server keeps it (defaults
// filled in by the CRD's schema, fields of its own in metadata) must be the
// same object: any other spec would bump its generation.
TEST(KubeResourcesTest, AUnikernelAsTheServerKeepsItWritesBackTheSame) {
  Json stored = Json::parse(R"({
    "apiVersion": "nanoplane.dev/v1alpha1", "kind": "Unikernel",
    "metadata": {"name": "web", "namespace": "default",
                 "uid": "b0a9258b-57fe-4b9e-8068-144db3714034",
                 "creationTimestamp": "2026-12-04T04:42:52Z", "generation": 1,
                 "resourceVersion": "9",
                 "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
    "spec": {"replicas": 1,
             "template": {"image": {"program": "/bin/web", "nanos": {"version": "0.1.54"}},
                          "resources": {"memory": "256Mi", "cpus": 1},
                          "restartPolicy": "Always"},
             "paused": false, "minReadySeconds": 0, "progressDeadlineSeconds": 600,
             "revisionHistoryLimit": 10, "strategy": {"type": "RollingUpdate"},
             "placement": {"spread": {"maxSkew": 1, "whenUnsatisfiable": "ScheduleAnyway"}}}})");
  absl::StatusOr<v1alpha1::Unikernel> object = UnikernelFromJson(stored);
  ASSERT_TRUE(object.ok()) << object.status();
  Json written = UnikernelToJson(*object, false);
  // Key order does not count: the server keeps objects as Go maps.
  EXPECT_EQ(nlohmann::json::parse(written["spec"].dump()),
            nlohmann::json::parse(stored["spec"].dump()));
  EXPECT_EQ(written["metadata"]["uid"], stored["metadata"]["uid"]);
  EXPECT_FALSE(written["metadata"].contains("managedFields"));
}

TEST(KubeResourcesTest, ARevisionIsAControllerRevisionOwnedAndLabelledByItsUnikernel) {
  ports::RevisionRecord revision{.unikernel = {.ns = "prod", .name = "web"},
                                 .unikernel_uid = "uid-1",
                                 .number = 3,
                                 .hash = std::string(64, 'a'),
                                 .template_json = R"({"image":{"program":"/web"}})",
                                 .created_time = kT,
                                 .progress_time = kT + absl::Seconds(90)};
  Json json = RevisionToJson(revision);
  EXPECT_EQ(json["metadata"]["name"], "web-aaaaaaaaaa");
  EXPECT_EQ(json["metadata"]["labels"]["nanoplane.dev/unikernel"], "web");
  EXPECT_EQ(json["metadata"]["labels"]["nanoplane.dev/template-hash"].get<std::string>().size(),
            63u);
  EXPECT_EQ(json["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_EQ(json["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(json["revision"], 3);
  EXPECT_EQ(json["data"]["template"]["image"]["program"], "/web");
  absl::StatusOr<ports::RevisionRecord> back = RevisionFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, revision);
}

TEST(KubeResourcesTest, AnEventReadsBackWithItsSeries) {
  ports::EventRecord event{.object = {.kind = "Unikernel", .ns = "prod", .name = "web", .uid = "u"},
                           .type = ports::EventType::kWarning,
                           .reason = "InvalidSpec",
                           .message = "spec.replicas: must be >= 0",
                           .first_time = kT,
                           .last_time = kT};
  Json json = NewEventJson(event, "web.17a", "controller-0");
  EXPECT_EQ(json["metadata"]["namespace"], "prod");
  EXPECT_EQ(json["regarding"]["apiVersion"], "nanoplane.dev/v1alpha1");
  EXPECT_EQ(json["reportingController"], "nanoplane.dev/controller");
  EXPECT_EQ(json["eventTime"], "2023-11-14T22:13:20.000000Z");
  json.merge_patch(EventSeriesPatch(4, kT + absl::Minutes(2)));
  absl::StatusOr<ports::EventRecord> back = EventFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  event.count = 4;
  event.last_time = kT + absl::Minutes(2);
  EXPECT_EQ(*back, event);
}

TEST(KubeResourcesTest, AHostsLabelsAreTheAgentsWithAPersonsOnTop) {
  ports::HostRecord host{.name = "h1",
                         .labels = {{"zone", "a"}, {"disk", "ssd"}},
                         .memory_bytes = 8LL << 30,
                         .cpus = 4,
                         .last_seen = kT,
                         .state = ports::HostState::kReady};
  Json json = HostWithStatus(NewHostJson("h1"), host);
  json["metadata"]["labels"] = {{"zone", "b"}, {"team", "web"}};  // kubectl label host h1 ...
  absl::StatusOr<ports::HostRecord> back = HostFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->labels, (ports::Labels{{"disk", "ssd"}, {"team", "web"}, {"zone", "b"}}));
  EXPECT_EQ(back->memory_bytes, 8LL << 30);
  EXPECT_EQ(back->last_seen, kT);
  EXPECT_EQ(back->state, ports::HostState::kReady);
  // The Ready condition's transition time stays while it does not flip.
  host.last_seen = kT + absl::Minutes(1);
  Json later = HostWithStatus(json, host);
  EXPECT_EQ(later["status"]["conditions"][0]["lastTransitionTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(later["status"]["conditions"][0]["lastHeartbeatTime"], "2023-11-14T22:14:20Z");
}

TEST(KubeResourcesTest, ALeaseSpecRoundTripsInMicroTime) {
  LeaseSpec spec{.holder = "a",
                 .acquire_time = kT,
                 .renew_time = kT + absl::Milliseconds(1500),
                 .duration = absl::Seconds(15),
                 .transitions = 2};
  Json json = LeaseWithSpec(Json::object(), "nanoplane-system", "nanoplane-controller", spec);
  EXPECT_EQ(json["spec"]["renewTime"], "2023-11-14T22:13:21.500000Z");
  absl::StatusOr<LeaseSpec> back = LeaseSpecFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->holder, "a");
  EXPECT_EQ(back->renew_time, spec.renew_time);
  EXPECT_EQ(back->duration, absl::Seconds(15));
  EXPECT_EQ(back->transitions, 2);
}

}  // namespace
}  // namespace nanoplane::controller::kube_resources
