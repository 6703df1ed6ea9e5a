// CRUD, errors and storage semantics of the fake API server, over real HTTP.

#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "common/kube/testing/fake_api_server_test_util.h"

namespace nanoplane::kube::testing {
namespace {

TEST_F(FakeApiServerTest, UnknownTokenAndAnonymousGet401Status) {
  HttpResult r = Do("GET", kUks, nullptr, "", "wrong");
  EXPECT_EQ(r.code, 401);
  EXPECT_EQ(r.json(), Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"));
  EXPECT_EQ(Do("GET", kUks, nullptr, "", "").code, 401);
}

TEST_F(FakeApiServerTest, CreateSetsUidTimestampGenerationAndOneCounter) {
  Json a = CreateUk("a");
  Json b = CreateUk("b");
  EXPECT_EQ(a["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ(a["metadata"]["generation"], 1);
  std::string ts = a["metadata"]["creationTimestamp"];
  EXPECT_EQ(ts.size(), 20u) << ts;
  EXPECT_EQ(ts.back(), 'Z');
  int64_t rva = 0, rvb = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Rv(a), &rva));
  ASSERT_TRUE(absl::SimpleAtoi(Rv(b), &rvb));
  EXPECT_EQ(rvb, rva + 1);
  EXPECT_EQ(a["spec"]["paused"], false);  // the CRD's default
}

TEST_F(FakeApiServerTest, CreateTwiceIs409AlreadyExists) {
  CreateUk();
  HttpResult r = Do("POST", kUks, Unikernel("web"));
  EXPECT_EQ(r.code, 409);
  EXPECT_EQ(r.json(), Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"unikernels.nanoplane.dev \"web\" already exists",
      "reason":"AlreadyExists","details":{"name":"web","group":"nanoplane.dev",
      "kind":"unikernels"},"code":409})"));
}

TEST_F(FakeApiServerTest, MissingObjectAndNamespaceAre404) {
  HttpResult r = Get(std::string(kUks) + "/nope");
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.json()["message"], "unikernels.nanoplane.dev \"nope\" not found");
  EXPECT_EQ(r.json()["details"]["kind"], "unikernels");
  HttpResult ns = Do("POST", "/apis/nanoplane.dev/v1alpha1/namespaces/x/unikernels", Unikernel("w"));
  EXPECT_EQ(ns.code, 404);
  EXPECT_EQ(ns.json()["message"], "namespaces \"x\" not found");
  EXPECT_EQ(ns.json()["details"], Json::parse(R"({"name":"x","kind":"namespaces"})"));
  EXPECT_EQ(Do("POST", "/api/v1/namespaces",
               {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "x"}}}})
                .code,
            201);
  EXPECT_EQ(Do("POST", "/apis/nanoplane.dev/v1alpha1/namespaces/x/unikernels", Unikernel("w")).code,
            201);
  EXPECT_EQ(Get("/api/v1/namespaces/kube-system").code, 200);
}

TEST_F(FakeApiServerTest, UpdateWithStaleResourceVersionIs409Conflict) {
  Json web = CreateUk();
  Json changed = web;
  changed["spec"]["replicas"] = 5;
  HttpResult ok = Do("PUT", std::string(kUks) + "/web", changed);
  ASSERT_EQ(ok.code, 200) << ok.body;
  EXPECT_EQ(ok.json()["metadata"]["generation"], 2);
  HttpResult stale = Do("PUT", std::string(kUks) + "/web", changed);
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(stale.json()["message"],
            "Operation cannot be fulfilled on unikernels.nanoplane.dev \"web\": the object has "
            "been modified; please apply your changes to the latest version and try again");
  EXPECT_EQ(stale.json()["reason"], "Conflict");
}

TEST_F(FakeApiServerTest, CustomResourcePutNeedsAResourceVersion) {
  Json web = CreateUk();
  web["metadata"].erase("resourceVersion");
  HttpResult r = Do("PUT", std::string(kUks) + "/web", web);
  EXPECT_EQ(r.code, 422);
  EXPECT_EQ(r.json()["message"],
            "unikernels.nanoplane.dev \"web\" is invalid: metadata.resourceVersion: Invalid value: "
            "0x0: must be specified for an update");
}

TEST_F(FakeApiServerTest, NoOpUpdateKeepsTheResourceVersion) {
  Json web = CreateUk();
  HttpResult r = Do("PUT", std::string(kUks) + "/web", web);
  ASSERT_EQ(r.code, 200);
  EXPECT_EQ(Rv(r.json()), Rv(web));
}

TEST_F(FakeApiServerTest, MainResourceIgnoresStatusAndStatusSubresourceOnlyStatus) {
  Json web = CreateUk();
  web["status"] = {{"replicas", 3}};
  HttpResult main = Do("PUT", std::string(kUks) + "/web", web);
  ASSERT_EQ(main.code, 200);
  EXPECT_FALSE(main.json().contains("status"));
  Json s = main.json();
  s["status"] = {{"replicas", 2}};
  s["spec"]["replicas"] = 9;
  HttpResult status = Do("PUT", std::string(kUks) + "/web/status", s);
  ASSERT_EQ(status.code, 200) << status.body;
  EXPECT_EQ(status.json()["status"]["replicas"], 2);
  EXPECT_EQ(status.json()["spec"]["replicas"], 3);
  EXPECT_EQ(status.json()["metadata"]["generation"], 1);
}

TEST_F(FakeApiServerTest, MergeAndJsonPatchAndStrategicRefusedForCustomResources) {
  CreateUk();
  HttpResult merge = Do("PATCH", std::string(kUks) + "/web", {{"spec", {{"replicas", 4}}}},
                        "application/merge-patch+json");
  ASSERT_EQ(merge.code, 200) << merge.body;
  EXPECT_EQ(merge.json()["spec"]["replicas"], 4);
  HttpResult json = Do("PATCH", std::string(kUks) + "/web",
                       Json::parse(R"([{"op":"replace","path":"/spec/replicas","value":6}])"),
                       "application/json-patch+json");
  ASSERT_EQ(json.code, 200) << json.body;
  EXPECT_EQ(json.json()["spec"]["replicas"], 6);
  HttpResult smp = Do("PATCH", std::string(kUks) + "/web", {{"spec", {{"replicas", 1}}}},
                      "application/strategic-merge-patch+json");
  EXPECT_EQ(smp.code, 415);
  EXPECT_EQ(smp.json()["reason"], "UnsupportedMediaType");
}

TEST_F(FakeApiServerTest, SchemaTypeErrorIs422WithCause) {
  Json bad = Unikernel("web");
  bad["spec"]["replicas"] = "three";
  HttpResult r = Do("POST", kUks, bad);
  EXPECT_EQ(r.code, 422);
  EXPECT_EQ(r.json()["message"],
            "Unikernel.nanoplane.dev \"web\" is invalid: [spec.replicas: Invalid value: \"string\": "
            "spec.replicas in body must be of type integer: \"string\", .spec.replicas: Invalid "
            "value: 0: .spec.replicas accessor error: three is of the type string, expected int64]");
  EXPECT_EQ(r.json()["details"]["causes"][0]["field"], "spec.replicas");
}

TEST_F(FakeApiServerTest, UnknownFieldsArePruned) {
  Json u = Unikernel("web");
  u["spec"]["bogus"] = 1;
  u["extra"] = true;
  HttpResult r = Do("POST", kUks, u);
  ASSERT_EQ(r.code, 201);
  EXPECT_FALSE(r.json()["spec"].contains("bogus"));
  EXPECT_FALSE(r.json().contains("extra"));
}

TEST_F(FakeApiServerTest, DeleteWithFinalizerMarksThenUpdateRemovingItDeletes) {
  Json u = Unikernel("web");
  u["metadata"]["finalizers"] = {"nanoplane.dev/instances"};
  ASSERT_EQ(Do("POST", kUks, u).code, 201);
  HttpResult del = Do("DELETE", std::string(kUks) + "/web");
  ASSERT_EQ(del.code, 200);
  Json marked = del.json();
  EXPECT_TRUE(marked["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(marked["metadata"]["deletionGracePeriodSeconds"], 0);
  EXPECT_EQ(marked["metadata"]["generation"], 2);
  HttpResult again = Do("DELETE", std::string(kUks) + "/web");
  EXPECT_EQ(Rv(again.json()), Rv(marked));
  Json more = marked;
  more["metadata"]["finalizers"] = {"nanoplane.dev/instances", "other"};
  HttpResult add = Do("PUT", std::string(kUks) + "/web", more);
  EXPECT_EQ(add.code, 422) << add.body;
  marked["metadata"]["finalizers"] = Json::array();
  HttpResult done = Do("PUT", std::string(kUks) + "/web", marked);
  EXPECT_EQ(done.code, 200) << done.body;
  EXPECT_EQ(Get(std::string(kUks) + "/web").code, 404);
}

TEST_F(FakeApiServerTest, DeleteReturnsSuccessStatusAndChecksPreconditions) {
  Json web = CreateUk();
  HttpResult pre = Do("DELETE", std::string(kUks) + "/web",
                      {{"preconditions", {{"uid", "00000000-0000-0000-0000-000000000000"}}}});
  EXPECT_EQ(pre.code, 409);
  // As the real v1.23 server answered (compared on /opt/k8s).
  EXPECT_EQ(pre.json()["message"],
            "Operation cannot be fulfilled on Unikernel.nanoplane.dev \"web\": the UID in the "
            "precondition (00000000-0000-0000-0000-000000000000) does not match the UID in record (" +
                web["metadata"]["uid"].get<std::string>() +
                "). The object might have been deleted and then recreated");
  EXPECT_EQ(pre.json()["details"]["kind"], "Unikernel");
  HttpResult del = Do("DELETE", std::string(kUks) + "/web",
                      {{"preconditions", {{"resourceVersion", Rv(web)}}}});
  ASSERT_EQ(del.code, 200);
  EXPECT_EQ(del.json()["status"], "Success");
  EXPECT_EQ(del.json()["details"]["uid"], web["metadata"]["uid"]);
}

TEST_F(FakeApiServerTest, ForegroundDeletionWaitsForAGarbageCollectorThatIsNotThere) {
  CreateUk();
  HttpResult del = Do("DELETE", std::string(kUks) + "/web", {{"propagationPolicy", "Foreground"}});
  ASSERT_EQ(del.code, 200);
  EXPECT_EQ(del.json()["metadata"]["finalizers"], Json::array({"foregroundDeletion"}));
  EXPECT_EQ(Get(std::string(kUks) + "/web").code, 200);
}

TEST_F(FakeApiServerTest, ListSelectorsPagingAndOrder) {
  for (const char* n : {"c", "a", "b"}) {
    CreateUk(n);
  }
  HttpResult all = Get(kUks);
  ASSERT_EQ(all.code, 200);
  Json items = all.json()["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["metadata"]["name"], "a");
  EXPECT_EQ(all.json()["kind"], "UnikernelList");
  EXPECT_EQ(Get(std::string(kUks) + "?labelSelector=app%3Db").json()["items"].size(), 1u);
  EXPECT_EQ(Get(std::string(kUks) + "?labelSelector=app+notin+(a,b)").json()["items"].size(), 1u);
  EXPECT_EQ(Get(std::string(kUks) + "?fieldSelector=metadata.name%3Dc").json()["items"].size(), 1u);
  EXPECT_EQ(Get(std::string(kUks) + "?fieldSelector=spec.replicas%3D1").code, 400);
  HttpResult page1 = Get(std::string(kUks) + "?limit=2");
  ASSERT_EQ(page1.json()["items"].size(), 2u);
  EXPECT_EQ(page1.json()["metadata"]["remainingItemCount"], 1);
  std::string token = page1.json()["metadata"]["continue"];
  CreateUk("d");  // after the first page: not in the snapshot
  HttpResult page2 = Get(std::string(kUks) + "?limit=2&continue=" + token);
  ASSERT_EQ(page2.code, 200) << page2.body;
  ASSERT_EQ(page2.json()["items"].size(), 1u);
  EXPECT_EQ(page2.json()["items"][0]["metadata"]["name"], "c");
  EXPECT_FALSE(page2.json()["metadata"].contains("continue"));
  EXPECT_EQ(Rv(page2.json()), Rv(page1.json()));
  server_->Compact();
  HttpResult expired = Get(std::string(kUks) + "?limit=2&continue=" + token);
  EXPECT_EQ(expired.code, 410);
  EXPECT_EQ(expired.json()["reason"], "Expired");
}

TEST_F(FakeApiServerTest, ScaleSubresourceGetPutPatch) {
  CreateUk();
  HttpResult get = Get(std::string(kUks) + "/web/scale");
  ASSERT_EQ(get.code, 200) << get.body;
  EXPECT_EQ(get.json()["kind"], "Scale");
  EXPECT_EQ(get.json()["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(get.json()["spec"]["replicas"], 3);
  EXPECT_EQ(get.json()["status"]["replicas"], 0);
  HttpResult patch = Do("PATCH", std::string(kUks) + "/web/scale", {{"spec", {{"replicas", 5}}}},
                        "application/merge-patch+json");
  ASSERT_EQ(patch.code, 200) << patch.body;
  EXPECT_EQ(patch.json()["spec"]["replicas"], 5);
  Json scale = patch.json();
  scale["spec"]["replicas"] = 7;
  HttpResult put = Do("PUT", std::string(kUks) + "/web/scale", scale);
  ASSERT_EQ(put.code, 200) << put.body;
  HttpResult web = Get(std::string(kUks) + "/web");
  EXPECT_EQ(web.json()["spec"]["replicas"], 7);
  EXPECT_EQ(web.json()["metadata"]["generation"], 3);
  HttpResult stale = Do("PUT", std::string(kUks) + "/web/scale", scale);
  EXPECT_EQ(stale.code, 409);
}

TEST_F(FakeApiServerTest, DryRunCreatesNothing) {
  HttpResult r = Do("POST", std::string(kUks) + "?dryRun=All", Unikernel("web"));
  EXPECT_EQ(r.code, 201);
  EXPECT_EQ(Get(std::string(kUks) + "/web").code, 404);
}

TEST_F(FakeApiServerTest, HooksFailNextAndCounts) {
  CreateUk();
  server_->FailNext("get", "unikernels", 503);
  HttpResult r = Get(std::string(kUks) + "/web");
  EXPECT_EQ(r.code, 503);
  EXPECT_EQ(Get(std::string(kUks) + "/web").code, 200);
  EXPECT_GE(server_->RequestCounts()["get"], 2);
  std::map<RequestKind, int64_t> kinds = server_->RequestCountsByKind();
  EXPECT_EQ((kinds[{.user = "admin", .verb = "get", .resource = "unikernels"}]), 2);
  EXPECT_EQ((kinds[{.user = "admin", .verb = "create", .resource = "unikernels"}]), 1);
  auto object = server_->GetObject("nanoplane.dev/v1alpha1", "unikernels", "default", "web");
  ASSERT_TRUE(object.ok());
}

TEST_F(FakeApiServerTest, BodiesAreDecodedAsTheRealServerDecodesThem) {
  Json no_kind = Unikernel("web");
  no_kind.erase("kind");
  HttpResult r = Do("POST", kUks, no_kind);
  EXPECT_EQ(r.code, 400);
  EXPECT_EQ(r.json()["message"].get<std::string>().rfind(
                "Unikernel in version \"v1alpha1\" cannot be handled as a Unikernel: Object 'Kind' "
                "is missing in '", 0),
            0u);
  Json wrong = Unikernel("web");
  wrong["apiVersion"] = "apps/v1";
  HttpResult w = Do("POST", kUks, wrong);
  EXPECT_EQ(w.code, 400);
  EXPECT_EQ(w.json()["message"],
            "the API version in the data (apps/v1) does not match the expected API version "
            "(nanoplane.dev/v1alpha1)");
  EXPECT_EQ(Do("POST", kUks, "{not json", "application/json").code, 400);
}

TEST_F(FakeApiServerTest, DeletedNamespaceStaysTerminatingWithoutTheNamespaceController) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces",
               {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "gone"}}}})
                .code,
            201);
  HttpResult del = Do("DELETE", "/api/v1/namespaces/gone");
  ASSERT_EQ(del.code, 200) << del.body;
  EXPECT_EQ(del.json()["status"]["phase"], "Terminating");
  HttpResult create = Do("POST", "/apis/nanoplane.dev/v1alpha1/namespaces/gone/unikernels",
                         Unikernel("web"));
  EXPECT_EQ(create.code, 403);
  EXPECT_EQ(create.json()["message"],
            "unikernels.nanoplane.dev \"web\" is forbidden: unable to create new content in "
            "namespace gone because it is being terminated");
}

TEST_F(FakeApiServerTest, ListFromAFutureResourceVersionTimesOut) {
  HttpResult r = Get(std::string(kUks) + "?resourceVersion=999999");
  EXPECT_EQ(r.code, 504);
  EXPECT_EQ(r.json()["reason"], "Timeout");
  EXPECT_EQ(r.json()["message"].get<std::string>().rfind("Timeout: Too large resource version: 999999, current: ", 0), 0u);
}

TEST_F(FakeApiServerTest, DeleteCollectionBySelectorAndGenerateName) {
  CreateUk("a");
  CreateUk("b");
  Json generated = Unikernel("");
  generated["metadata"].erase("name");
  generated["metadata"]["generateName"] = "web-";
  HttpResult g = Do("POST", kUks, generated);
  ASSERT_EQ(g.code, 201) << g.body;
  std::string name = g.json()["metadata"]["name"];
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(name.rfind("web-", 0), 0u);
  HttpResult del = Do("DELETE", std::string(kUks) + "?labelSelector=app%3Da");
  ASSERT_EQ(del.code, 200) << del.body;
  EXPECT_EQ(del.json()["items"].size(), 1u);
  EXPECT_EQ(Get(kUks).json()["items"].size(), 2u);
}

TEST_F(FakeApiServerTest, StatusMergePatchNeedsNoResourceVersion) {
  CreateUk();
  HttpResult r = Do("PATCH", std::string(kUks) + "/web/status",
                    {{"status", {{"readyReplicas", 2}}}, {"spec", {{"replicas", 9}}}},
                    "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(r.json()["status"]["readyReplicas"], 2);
  EXPECT_EQ(r.json()["spec"]["replicas"], 3);
}

}  // namespace
}  // namespace nanoplane::kube::testing
