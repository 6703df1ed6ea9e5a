// Built-in kinds, CRDs over the API, discovery, RBAC and the bookmark hook.

#include "common/kube/testing/fake_api_server_test_util.h"
#include "common/testing/net_wait.h"

namespace nanoplane::kube::testing {
namespace {

constexpr char kCoreEvents[] = "/api/v1/namespaces/default/events";
constexpr char kV1Events[] = "/apis/events.k8s.io/v1/namespaces/default/events";

Json V1Event(const std::string& name, const std::string& about) {
  return {{"apiVersion", "events.k8s.io/v1"},
          {"kind", "Event"},
          {"metadata", {{"name", name}}},
          {"eventTime", "2026-12-04T03:00:00.000000Z"},
          {"reportingController", "nanoplane.dev/controller"},
          {"reportingInstance", "controller-0"},
          {"action", "Scale"},
          {"reason", "ScalingUp"},
          {"type", "Normal"},
          {"note", "scaled to 5"},
          {"regarding", {{"apiVersion", "nanoplane.dev/v1alpha1"}, {"kind", "Unikernel"},
                         {"name", about}, {"namespace", "default"}, {"uid", "u-1"}}}};
}

TEST_F(FakeApiServerTest, EventsAreOneStorageServedInBothForms) {
  HttpResult created = Do("POST", kV1Events, V1Event("web.1", "web"));
  ASSERT_EQ(created.code, 201) << created.body;
  Json v1 = created.json();
  EXPECT_EQ(v1["note"], "scaled to 5");
  HttpResult core = Get(std::string(kCoreEvents) + "/web.1");
  ASSERT_EQ(core.code, 200);
  Json e = core.json();
  EXPECT_EQ(e["apiVersion"], "v1");
  EXPECT_EQ(e["message"], "scaled to 5");
  EXPECT_EQ(e["involvedObject"]["name"], "web");
  EXPECT_EQ(e["reportingComponent"], "nanoplane.dev/controller");
  EXPECT_TRUE(e["firstTimestamp"].is_null());
  EXPECT_EQ(Rv(e), Rv(v1));
  // kubectl describe's query.
  HttpResult described = Get(std::string(kCoreEvents) +
                             "?fieldSelector=involvedObject.name%3Dweb,involvedObject.namespace%3D"
                             "default,involvedObject.kind%3DUnikernel,involvedObject.uid%3Du-1");
  ASSERT_EQ(described.code, 200) << described.body;
  EXPECT_EQ(described.json()["items"].size(), 1u);
  Json incomplete = V1Event("web.2", "web");
  incomplete.erase("eventTime");
  HttpResult refused = Do("POST", kV1Events, incomplete);
  EXPECT_EQ(refused.code, 422);
  EXPECT_EQ(refused.json()["details"]["causes"][0]["field"], "eventTime");
}

TEST_F(FakeApiServerTest, LeasesAndControllerRevisionsFollowTheirStrategies) {
  Json lease = {{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"},
                {"metadata", {{"name", "nanoplane-controller"}}},
                {"spec", {{"holderIdentity", "a"}, {"leaseDurationSeconds", 15}}}};
  HttpResult l = Do("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", lease);
  ASSERT_EQ(l.code, 201) << l.body;
  Json updated = l.json();
  updated["spec"]["holderIdentity"] = "b";
  const std::string path =
      "/apis/coordination.k8s.io/v1/namespaces/default/leases/nanoplane-controller";
  EXPECT_EQ(Do("PUT", path, updated).code, 200);
  updated["metadata"].erase("resourceVersion");  // leaseStrategy.AllowUnconditionalUpdate: false
  EXPECT_EQ(Do("PUT", path, updated).code, 422);
  Json other = lease;
  other["metadata"]["name"] = "other";  // AllowCreateOnUpdate: true
  EXPECT_EQ(Do("PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/other", other).code,
            201);
  Json rev = {{"apiVersion", "apps/v1"}, {"kind", "ControllerRevision"},
              {"metadata", {{"name", "web-1"}, {"labels", {{"nanoplane.dev/unikernel", "web"}}},
                            {"ownerReferences", Json::array({{{"apiVersion", "nanoplane.dev/v1alpha1"},
                                                              {"kind", "Unikernel"}, {"name", "web"},
                                                              {"uid", "gone"}}})}}},
              {"data", {{"x", 1}}}, {"revision", 1}};
  HttpResult r = Do("POST", "/apis/apps/v1/namespaces/default/controllerrevisions", rev);
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(r.json()["metadata"]["ownerReferences"][0]["uid"], "gone");  // no garbage collector
  EXPECT_FALSE(r.json()["metadata"].contains("generation"));
}

TEST_F(FakeApiServerTest, CrdPostedThroughTheApiIsServedAndDiscovered) {
  Json crd = Json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"hosts.nanoplane.dev"},
    "spec":{"group":"nanoplane.dev","scope":"Cluster",
      "names":{"plural":"hosts","singular":"host","kind":"Host","listKind":"HostList"},
      "versions":[{"name":"v1alpha1","served":true,"storage":true,"subresources":{"status":{}},
        "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})");
  HttpResult c = Do("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  ASSERT_EQ(c.code, 201) << c.body;
  HttpResult host = Do("POST", "/apis/nanoplane.dev/v1alpha1/hosts",
                       {{"apiVersion", "nanoplane.dev/v1alpha1"}, {"kind", "Host"},
                        {"metadata", {{"name", "h1"}}}});
  ASSERT_EQ(host.code, 201) << host.body;
  EXPECT_FALSE(host.json()["metadata"].contains("namespace"));
  HttpResult got = Get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/hosts.nanoplane.dev");
  EXPECT_EQ(got.json()["status"]["conditions"][1]["type"], "Established");
  HttpResult discovery = Get("/apis/nanoplane.dev/v1alpha1");
  ASSERT_EQ(discovery.code, 200);
  bool found = false;
  const Json doc = discovery.json();
  for (const Json& r : doc["resources"]) {
    found = found || r["name"] == "hosts";
  }
  EXPECT_TRUE(found);
  ASSERT_EQ(Do("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/hosts.nanoplane.dev")
                .code,
            200);
  EXPECT_EQ(Get("/apis/nanoplane.dev/v1alpha1/hosts").code, 404);
}

TEST_F(FakeApiServerTest, DiscoveryDocumentsForKubectl) {
  EXPECT_EQ(Get("/version").json()["gitVersion"], "v1.23.0");
  EXPECT_EQ(Get("/api").json()["versions"], Json::array({"v1"}));
  Json groups = Get("/apis").json();
  EXPECT_EQ(groups["kind"], "APIGroupList");
  Json uks = Get("/apis/nanoplane.dev/v1alpha1").json();
  EXPECT_EQ(uks["groupVersion"], "nanoplane.dev/v1alpha1");
  EXPECT_EQ(uks["resources"][0]["shortNames"], Json::array({"uk"}));
  EXPECT_EQ(uks["resources"][2]["name"], "unikernels/scale");
  EXPECT_EQ(uks["resources"][2]["group"], "autoscaling");
  EXPECT_EQ(Get("/apis/nope.dev/v1").code, 404);
}

TEST_F(FakeApiServerTest, TableForKubectlGetUsesThePrinterColumns) {
  CreateUk("web", 3);
  ClientRequest r{.path = kUks, .token = kAdminToken,
                  .accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"};
  HttpResult table = Send(server_->port(), r);
  ASSERT_EQ(table.code, 200);
  Json t = table.json();
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["columnDefinitions"][1]["name"], "Desired");
  EXPECT_EQ(t["rows"][0]["cells"][0], "web");
  EXPECT_EQ(t["rows"][0]["cells"][1], 3);
  EXPECT_TRUE(t["rows"][0]["cells"][2].is_null());  // no status yet
  EXPECT_EQ(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
}

class RbacTest : public FakeApiServerTest {
 protected:
  FakeApiServerOptions Options() override {
    FakeApiServerOptions options = FakeApiServerTest::Options();
    options.tokens["sa-token"] = {"system:serviceaccount:nanoplane-system:nanoplane",
                                  {"system:serviceaccounts"}};
    return options;
  }
  HttpResult AsSa(const std::string& method, const std::string& path, const Json& body = nullptr) {
    return Do(method, path, body, "application/json", "sa-token");
  }
};

TEST_F(RbacTest, ForbiddenUntilARoleAndBindingAllowIt) {
  HttpResult list = AsSa("GET", kUks);
  EXPECT_EQ(list.code, 403);
  EXPECT_EQ(list.json()["message"],
            "unikernels.nanoplane.dev is forbidden: User "
            "\"system:serviceaccount:nanoplane-system:nanoplane\" cannot list resource "
            "\"unikernels\" in API group \"nanoplane.dev\" in the namespace \"default\"");
  EXPECT_EQ(list.json()["details"], Json::parse(R"({"group":"nanoplane.dev","kind":"unikernels"})"));
  HttpResult hosts = AsSa("GET", "/apis/nanoplane.dev/v1alpha1/unikernels");
  EXPECT_EQ(hosts.json()["message"],
            "unikernels.nanoplane.dev is forbidden: User "
            "\"system:serviceaccount:nanoplane-system:nanoplane\" cannot list resource "
            "\"unikernels\" in API group \"nanoplane.dev\" at the cluster scope");
  ASSERT_EQ(Do("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
               Json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",
                 "metadata":{"name":"nanoplane"},"rules":[
                   {"apiGroups":["nanoplane.dev"],"resources":["unikernels"],"verbs":["get","list","watch"]},
                   {"apiGroups":["nanoplane.dev"],"resources":["unikernels/status"],"verbs":["update"]}]})"))
                .code,
            201);
  ASSERT_EQ(Do("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
               Json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",
                 "metadata":{"name":"nanoplane"},
                 "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"nanoplane"},
                 "subjects":[{"kind":"ServiceAccount","name":"nanoplane","namespace":"nanoplane-system"}]})"))
                .code,
            201);
  EXPECT_EQ(AsSa("GET", kUks).code, 200);
  Json web = CreateUk();
  EXPECT_EQ(AsSa("PUT", std::string(kUks) + "/web/status", web).code, 200);
  HttpResult put = AsSa("PUT", std::string(kUks) + "/web", web);
  EXPECT_EQ(put.code, 403);
  EXPECT_EQ(put.json()["message"],
            "unikernels.nanoplane.dev \"web\" is forbidden: User "
            "\"system:serviceaccount:nanoplane-system:nanoplane\" cannot update resource "
            "\"unikernels\" in API group \"nanoplane.dev\" in the namespace \"default\"");
  EXPECT_EQ(AsSa("GET", "/api/v1/namespaces/default/secrets").code, 403);
  EXPECT_EQ(AsSa("GET", "/apis").code, 200);  // discovery is for everyone authenticated
  HttpResult review = AsSa("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                           Json::parse(R"({"apiVersion":"authorization.k8s.io/v1",
                             "kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":
                             {"namespace":"default","verb":"delete","group":"nanoplane.dev",
                              "resource":"unikernels"}}})"));
  ASSERT_EQ(review.code, 201) << review.body;
  EXPECT_EQ(review.json()["status"]["allowed"], false);
}

TEST(FakeApiServerHooksTest, SendBookmarksSendsOneNow) {
  FakeApiServerOptions options;
  options.anonymous = Anonymous::kAdmin;
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start().ok());
  auto w = WatchReader::Open(server.port(),
                             {.path = "/apis/coordination.k8s.io/v1/namespaces/default/leases?"
                                      "watch=1&allowWatchBookmarks=true&resourceVersion=1"});
  ASSERT_TRUE(test_support::WaitFor([&] { return server.OpenWatches() == 1; }, absl::Seconds(3)));
  server.SendBookmarks();
  auto bookmark = w->Next(absl::Seconds(2));
  ASSERT_TRUE(bookmark.has_value());
  EXPECT_EQ((*bookmark)["type"], "BOOKMARK");
  EXPECT_EQ((*bookmark)["object"]["metadata"]["resourceVersion"],
            std::to_string(server.ResourceVersion()));
  EXPECT_TRUE((*bookmark)["object"]["metadata"]["creationTimestamp"].is_null());
}

TEST(FakeApiServerHooksTest, TokenSpecsNameServiceAccountsAndGroups) {
  auto plain = ParseTokenSpec("t=alice:dev,ops");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->second, (UserInfo{"alice", {"dev", "ops"}}));
  auto sa = ParseTokenSpec("t=system:serviceaccount:ns:name:system:serviceaccounts");
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->second, (UserInfo{"system:serviceaccount:ns:name", {"system:serviceaccounts"}}));
  EXPECT_FALSE(ParseTokenSpec("nope").ok());
}

}  // namespace
}  // namespace nanoplane::kube::testing
