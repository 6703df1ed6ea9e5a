#pragma once

// The fixture the fake API server's tests share: a server with an admin
// token, the repo's Unikernel CRD, and short request helpers.

#include <memory>
#include <string>

#include "common/kube/testing/fake_api_server.h"
#include "common/kube/testing/http_test_client.h"
#include "gtest/gtest.h"

namespace nanoplane::kube::testing {

inline constexpr char kAdminToken[] = "admin-token";
inline constexpr char kUks[] = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels";

class FakeApiServerTest : public ::testing::Test {
 protected:
  virtual FakeApiServerOptions Options() {
    FakeApiServerOptions options;
    options.tokens[kAdminToken] = {"admin", {"system:masters"}};
    options.crd_files = {std::string(NP_SOURCE_DIR) + "/crds/unikernels.nanoplane.dev.yaml"};
    return options;
  }
  void SetUp() override {
    server_ = std::make_unique<FakeApiServer>(Options());
    auto url = server_->Start();
    ASSERT_TRUE(url.ok()) << url.status();
  }

  HttpResult Do(const std::string& method, const std::string& path, const Json& body = nullptr,
                const std::string& content_type = "application/json",
                const std::string& token = kAdminToken) {
    ClientRequest r{.method = method, .path = path, .body = body.is_null() ? "" : body.dump(),
                    .content_type = content_type, .token = token};
    return Send(server_->port(), r);
  }
  HttpResult Get(const std::string& path) { return Do("GET", path); }

  static Json Unikernel(const std::string& name, int replicas = 3) {
    return {{"apiVersion", "nanoplane.dev/v1alpha1"},
            {"kind", "Unikernel"},
            {"metadata", {{"name", name}, {"labels", {{"app", name}}}}},
            {"spec",
             {{"replicas", replicas},
              {"template", {{"image", {{"program", "/web"}, {"source", {{"path", "./web"}}}}}}}}}};
  }
  // Creates web (or `name`) and returns it as the server stored it.
  Json CreateUk(const std::string& name = "web", int replicas = 3) {
    HttpResult r = Do("POST", kUks, Unikernel(name, replicas));
    EXPECT_EQ(r.code, 201) << r.body;
    return r.json();
  }
  std::unique_ptr<WatchReader> Watch(const std::string& path, const std::string& token = kAdminToken) {
    return WatchReader::Open(server_->port(), {.method = "GET", .path = path, .token = token});
  }

  std::unique_ptr<FakeApiServer> server_;
};

inline std::string Rv(const Json& object) {
  return object["metadata"].value("resourceVersion", "");
}

}  // namespace nanoplane::kube::testing
