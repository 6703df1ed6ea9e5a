// KubeClient over TLS against a scripted server with certificates made by the
// openssl command line: CA verification, a wrong CA, insecure-skip-tls-verify,
// client certificates and tls-server-name.

#include <filesystem>

#include "common/kube/kube_client.h"
#include "common/kube/scripted_server.h"
#include "common/kube/test_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

using ::testing::HasSubstr;
using test::HttpRequest;
using test::Reply;
using test::ScriptedServer;

class KubeClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = &test::SharedTestPki(); }
  void SetUp() override { ASSERT_FALSE(pki_->dir.empty()) << "openssl could not make certificates"; }

  static void Ok(const HttpRequest& request, Reply& reply) {
    reply.Send(200, R"({"kind":"NamespaceList","cn":")" + request.peer_common_name + R"("})");
  }
  static test::TlsFiles ServerTls(bool named = false, bool client_auth = false) {
    return test::TlsFiles{.cert_pem = named ? pki_->named_server_cert_pem : pki_->server_cert_pem,
                          .key_pem = named ? pki_->named_server_key_pem : pki_->server_key_pem,
                          .client_ca_pem = client_auth ? pki_->ca_pem : ""};
  }
  static absl::StatusOr<Json> GetNamespaces(KubeConfig config) {
    config.source = "kubeconfig test";
    config.user = "alice";
    auto client = KubeClient::New(std::move(config), ClientOptions{.qps = 0, .max_attempts = 1});
    if (!client.ok()) {
      return client.status();
    }
    return (*client)->Get("/api/v1/namespaces");
  }

  static const test::TestPki* pki_;
};

const test::TestPki* KubeClientTlsTest::pki_ = nullptr;

TEST_F(KubeClientTlsTest, VerifiesTheServerWithTheCa) {
  ScriptedServer server(Ok, ServerTls());
  auto got = GetNamespaces({.server = server.url(), .ca_pem = pki_->ca_pem});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["kind"], "NamespaceList");
}

TEST_F(KubeClientTlsTest, AWrongCaFailsTheHandshake) {
  ScriptedServer server(Ok, ServerTls());
  auto got = GetNamespaces({.server = server.url(), .ca_pem = pki_->other_ca_pem});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(got.status().message(), HasSubstr("TLS handshake with the Kubernetes API server at " +
                                                server.url() + " failed"));
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(KubeClientTlsTest, NoCaMeansTheSystemRootsWhichDoNotKnowOurs) {
  ScriptedServer server(Ok, ServerTls());
  EXPECT_EQ(GetNamespaces({.server = server.url()}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(KubeClientTlsTest, InsecureSkipVerifyAcceptsAnyServer) {
  ScriptedServer server(Ok, ServerTls());
  auto got = GetNamespaces({.server = server.url(), .insecure_skip_tls_verify = true});
  EXPECT_TRUE(got.ok()) << got.status();
}

TEST_F(KubeClientTlsTest, ClientCertificateAuthenticates) {
  ScriptedServer server(Ok, ServerTls(false, /*client_auth=*/true));
  auto got = GetNamespaces({.server = server.url(),
                            .ca_pem = pki_->ca_pem,
                            .client_certificate_pem = pki_->client_cert_pem,
                            .client_key_pem = pki_->client_key_pem});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["cn"], "alice");
}

TEST_F(KubeClientTlsTest, NoClientCertificateIsRefusedByTheServer) {
  ScriptedServer server(Ok, ServerTls(false, /*client_auth=*/true));
  auto got = GetNamespaces({.server = server.url(), .ca_pem = pki_->ca_pem});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(KubeClientTlsTest, TlsServerNameChecksThatNameInstead) {
  ScriptedServer server(Ok, ServerTls(/*named=*/true));
  // The certificate is for kube.test, not 127.0.0.1.
  EXPECT_EQ(GetNamespaces({.server = server.url(), .ca_pem = pki_->ca_pem}).status().code(),
            absl::StatusCode::kUnavailable);
  auto got = GetNamespaces(
      {.server = server.url(), .ca_pem = pki_->ca_pem, .tls_server_name = "kube.test"});
  EXPECT_TRUE(got.ok()) << got.status();
}

}  // namespace
}  // namespace nanoplane::kube
