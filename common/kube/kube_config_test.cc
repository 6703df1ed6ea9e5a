#include "common/kube/kube_config.h"

#include <filesystem>

#include "absl/strings/escaping.h"
#include "common/kube/test_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

using ::testing::HasSubstr;
using test::WriteFile;

std::string B64(const std::string& data) { return absl::Base64Escape(data); }

// The shape kubectl writes (kubectl config view --raw), with the user's fields in `user`.
std::string KubeConfigYaml(const std::string& cluster, const std::string& user,
                           const std::string& context_extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "clusters:\n- name: dev-cluster\n  cluster:\n" + cluster +
         "users:\n- name: dev-user\n  user:\n" + user +
         "contexts:\n- name: dev\n  context:\n    cluster: dev-cluster\n    user: dev-user\n" +
         context_extra;
}

class KubeConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = &test::SharedTestPki(); }

  void SetUp() override {
    ASSERT_FALSE(pki_->dir.empty()) << "openssl could not make test certificates";
    home_ = test::TempDir("home");
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  KubeConfigOptions Options() const {
    return KubeConfigOptions{.kubeconfig_env = "", .home = home_};
  }
  std::string DefaultPath() const { return home_ + "/.kube/config"; }
  absl::StatusOr<KubeConfig> LoadDefault(const std::string& yaml) {
    WriteFile(DefaultPath(), yaml);
    return LoadKubeConfig(Options());
  }

  static const test::TestPki* pki_;
  std::string home_;
};

const test::TestPki* KubeConfigTest::pki_ = nullptr;

const char kServer[] = "    server: https://127.0.0.1:6443/\n";

TEST_F(KubeConfigTest, ReadsServerTokenAndDefaultNamespace) {
  auto config = LoadDefault(KubeConfigYaml(kServer, "    token: s3cret\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");  // trailing '/' dropped
  EXPECT_EQ(config->token, "s3cret");
  EXPECT_EQ(config->namespace_name, "default");
  EXPECT_EQ(config->context, "dev");
  EXPECT_EQ(config->user, "dev-user");
  EXPECT_EQ(config->source, "kubeconfig ~/.kube/config");
  EXPECT_TRUE(config->ca_pem.empty());
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

TEST_F(KubeConfigTest, NamespaceFromTheContextAndTheFlagWins) {
  std::string yaml = KubeConfigYaml(kServer, "    token: t\n", "    namespace: team-a\n");
  auto config = LoadDefault(yaml);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->namespace_name, "team-a");
  KubeConfigOptions options = Options();
  options.namespace_name = "team-b";
  EXPECT_EQ(LoadKubeConfig(options)->namespace_name, "team-b");
}

TEST_F(KubeConfigTest, CertificateAuthorityDataIsBase64) {
  auto config = LoadDefault(KubeConfigYaml(
      std::string(kServer) + "    certificate-authority-data: " + B64(pki_->ca_pem) + "\n",
      "    token: t\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ca_pem, pki_->ca_pem);
}

TEST_F(KubeConfigTest, CertificateAuthorityPathIsRelativeToTheKubeconfig) {
  WriteFile(home_ + "/.kube/pki/ca.crt", pki_->ca_pem);
  auto config = LoadDefault(
      KubeConfigYaml(std::string(kServer) + "    certificate-authority: pki/ca.crt\n", "    token: t\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ca_pem, pki_->ca_pem);
}

TEST_F(KubeConfigTest, AbsoluteCertificateAuthorityPath) {
  WriteFile(home_ + "/elsewhere/ca.crt", pki_->ca_pem);
  auto config = LoadDefault(KubeConfigYaml(
      std::string(kServer) + "    certificate-authority: " + home_ + "/elsewhere/ca.crt\n",
      "    token: t\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ca_pem, pki_->ca_pem);
}

TEST_F(KubeConfigTest, ClientCertificateAndKeyAsData) {
  auto config = LoadDefault(KubeConfigYaml(
      kServer, "    client-certificate-data: " + B64(pki_->client_cert_pem) +
                   "\n    client-key-data: " + B64(pki_->client_key_pem) + "\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->client_certificate_pem, pki_->client_cert_pem);
  EXPECT_EQ(config->client_key_pem, pki_->client_key_pem);
}

TEST_F(KubeConfigTest, ClientCertificateAndKeyAsRelativeFiles) {
  WriteFile(home_ + "/.kube/alice.crt", pki_->client_cert_pem);
  WriteFile(home_ + "/.kube/alice.key", pki_->client_key_pem);
  auto config = LoadDefault(KubeConfigYaml(
      kServer, "    client-certificate: alice.crt\n    client-key: alice.key\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->client_certificate_pem, pki_->client_cert_pem);
  EXPECT_EQ(config->client_key_pem, pki_->client_key_pem);
}

TEST_F(KubeConfigTest, DataWinsOverTheFileForm) {
  auto config = LoadDefault(KubeConfigYaml(
      std::string(kServer) + "    certificate-authority: missing.crt\n" +
          "    certificate-authority-data: " + B64(pki_->ca_pem) + "\n",
      "    token: t\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ca_pem, pki_->ca_pem);
}

TEST_F(KubeConfigTest, InsecureSkipVerifyAndTlsServerName) {
  auto config = LoadDefault(KubeConfigYaml(
      std::string(kServer) + "    insecure-skip-tls-verify: true\n    tls-server-name: kube.test\n",
      "    token: t\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->tls_server_name, "kube.test");
}

TEST_F(KubeConfigTest, TokenFileIsKeptAsAPathRelativeToTheKubeconfig) {
  WriteFile(home_ + "/.kube/token", "abc\n");
  auto config = LoadDefault(KubeConfigYaml(kServer, "    tokenFile: token\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->token_file, home_ + "/.kube/token");
  EXPECT_TRUE(config->token.empty());
}

TEST_F(KubeConfigTest, ContextFlagChoosesAnotherContext) {
  std::string yaml = KubeConfigYaml(kServer, "    token: t\n") +
                     "- name: prod\n  context:\n    cluster: dev-cluster\n    user: dev-user\n"
                     "    namespace: prod-ns\n";
  WriteFile(DefaultPath(), yaml);
  KubeConfigOptions options = Options();
  options.context = "prod";
  auto config = LoadKubeConfig(options);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->context, "prod");
  EXPECT_EQ(config->namespace_name, "prod-ns");
}

TEST_F(KubeConfigTest, KubeconfigFlagReadsOnlyThatFile) {
  WriteFile(home_ + "/other", KubeConfigYaml("    server: https://10.0.0.1:443\n", "    token: t\n"));
  WriteFile(DefaultPath(), KubeConfigYaml(kServer, "    token: t\n"));
  KubeConfigOptions options = Options();
  options.kubeconfig = home_ + "/other";
  options.kubeconfig_env = home_ + "/.kube/config";
  auto config = LoadKubeConfig(options);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.0.0.1:443");
}

// kubectl's rules: the first file to set a name (or current-context) wins; files
// that do not exist are skipped; paths are relative to the file that names them.
TEST_F(KubeConfigTest, KubeconfigEnvMergesFirstWins) {
  const std::string a = home_ + "/a/config";
  const std::string b = home_ + "/b/config";
  WriteFile(a,
            "current-context: from-a\n"
            "clusters:\n- name: shared\n  cluster:\n    server: https://a.example:6443\n"
            "contexts:\n- name: from-a\n  context:\n    cluster: shared\n    user: only-in-b\n");
  WriteFile(b,
            "current-context: from-b\n"
            "clusters:\n- name: shared\n  cluster:\n    server: https://b.example:6443\n"
            "users:\n- name: only-in-b\n  user:\n    tokenFile: token\n");
  WriteFile(home_ + "/b/token", "tok");
  KubeConfigOptions options = Options();
  options.kubeconfig_env = a + ":" + home_ + "/missing:" + b;
  auto config = LoadKubeConfig(options);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->context, "from-a");
  EXPECT_EQ(config->server, "https://a.example:6443");
  EXPECT_EQ(config->token_file, home_ + "/b/token");
}

TEST_F(KubeConfigTest, NotBase64NamesFileAndField) {
  auto config = LoadDefault(KubeConfigYaml(
      kServer, "    client-certificate-data: " + B64(pki_->client_cert_pem) +
                   "\n    client-key-data: '%%% not base64'\n"));
  EXPECT_EQ(config.status(), absl::InvalidArgumentError(
                                 "~/.kube/config: users[0].user.client-key-data: not base64"));
}

TEST_F(KubeConfigTest, CertificateAuthorityThatIsNotPem) {
  auto config = LoadDefault(KubeConfigYaml(
      std::string(kServer) + "    certificate-authority-data: " + B64("hello") + "\n", "    token: t\n"));
  EXPECT_EQ(config.status(),
            absl::InvalidArgumentError("~/.kube/config: clusters[0].cluster.certificate-authority: "
                                       "holds no PEM certificate"));
}

TEST_F(KubeConfigTest, KeyOfAnotherCertificate) {
  auto config = LoadDefault(KubeConfigYaml(
      kServer, "    client-certificate-data: " + B64(pki_->client_cert_pem) +
                   "\n    client-key-data: " + B64(pki_->server_key_pem) + "\n"));
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(),
              HasSubstr("users[0].user.client-key: the client key does not belong"));
}

TEST_F(KubeConfigTest, CertificateWithoutKey) {
  auto config = LoadDefault(KubeConfigYaml(
      kServer, "    client-certificate-data: " + B64(pki_->client_cert_pem) + "\n"));
  EXPECT_THAT(config.status().message(), HasSubstr("users[0].user.client-key: missing"));
}

TEST_F(KubeConfigTest, MissingReferencedFile) {
  auto config = LoadDefault(
      KubeConfigYaml(std::string(kServer) + "    certificate-authority: nope.crt\n", "    token: t\n"));
  EXPECT_EQ(config.status(),
            absl::NotFoundError("~/.kube/config: clusters[0].cluster.certificate-authority: " +
                                home_ + "/.kube/nope.crt: no such file"));
}

TEST_F(KubeConfigTest, ReferencedFileMustBeARegularFile) {
  auto config = LoadDefault(
      KubeConfigYaml(std::string(kServer) + "    certificate-authority: /dev/zero\n", "    token: t\n"));
  EXPECT_EQ(config.status(),
            absl::InvalidArgumentError("~/.kube/config: clusters[0].cluster.certificate-authority: "
                                       "/dev/zero: not a regular file of at most 1 MiB"));
}

TEST_F(KubeConfigTest, InsecureWithCertificateAuthorityIsRefused) {
  auto config = LoadDefault(KubeConfigYaml(std::string(kServer) + "    certificate-authority-data: " +
                                               B64(pki_->ca_pem) + "\n    insecure-skip-tls-verify: true\n",
                                           "    token: t\n"));
  EXPECT_THAT(config.status().message(),
              HasSubstr("clusters[0].cluster.insecure-skip-tls-verify: set together with"));
}

TEST_F(KubeConfigTest, ContextNotFoundListsTheContexts) {
  WriteFile(DefaultPath(), KubeConfigYaml(kServer, "    token: t\n") +
                               "- name: a\n  context:\n    cluster: dev-cluster\n    user: dev-user\n");
  KubeConfigOptions options = Options();
  options.context = "x";
  EXPECT_EQ(LoadKubeConfig(options).status(),
            absl::InvalidArgumentError("context \"x\" not found in ~/.kube/config (contexts: a, dev)"));
}

TEST_F(KubeConfigTest, NoCurrentContext) {
  auto config = LoadDefault("clusters: []\ncontexts:\n- name: a\n  context: {}\n");
  EXPECT_EQ(config.status(),
            absl::InvalidArgumentError(
                "~/.kube/config: current-context is not set; pass --context (contexts: a)"));
}

TEST_F(KubeConfigTest, ContextNamesAMissingClusterOrUser) {
  auto config = LoadDefault(
      "current-context: c\ncontexts:\n- name: c\n  context:\n    cluster: gone\n    user: u\n");
  EXPECT_EQ(config.status(),
            absl::InvalidArgumentError("~/.kube/config: contexts[0].context.cluster: cluster \"gone\" "
                                       "not found (clusters: none)"));
}

TEST_F(KubeConfigTest, MissingServer) {
  auto config = LoadDefault(KubeConfigYaml("    insecure-skip-tls-verify: true\n", "    token: t\n"));
  EXPECT_EQ(config.status(),
            absl::InvalidArgumentError("~/.kube/config: clusters[0].cluster.server: missing"));
}

TEST_F(KubeConfigTest, ExecPluginIsNamedAsUnsupported) {
  auto config = LoadDefault(KubeConfigYaml(
      kServer, "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
               "      command: aws\n      args: [eks, get-token]\n"));
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(),
              HasSubstr("~/.kube/config: users[0].user.exec: exec credential plugins (aws) are not "
                        "supported"));
}

TEST_F(KubeConfigTest, AuthProviderIsNamedAsUnsupported) {
  auto config = LoadDefault(KubeConfigYaml(kServer, "    auth-provider:\n      name: oidc\n"));
  EXPECT_THAT(config.status().message(),
              HasSubstr("users[0].user.auth-provider: auth providers (oidc) are not supported"));
}

TEST_F(KubeConfigTest, MissingKubeconfigFlagFile) {
  KubeConfigOptions options = Options();
  options.kubeconfig = home_ + "/nope";
  EXPECT_EQ(LoadKubeConfig(options).status(),
            absl::NotFoundError("--kubeconfig " + home_ + "/nope: no such file"));
}

TEST_F(KubeConfigTest, NoKubeconfigAnywhere) {
  EXPECT_EQ(LoadKubeConfig(Options()).status(),
            absl::NotFoundError(
                "~/.kube/config: no such file; pass --kubeconfig or set $KUBECONFIG"));
  KubeConfigOptions options = Options();
  options.kubeconfig_env = "/nope/a:/nope/b";
  EXPECT_EQ(LoadKubeConfig(options).status(),
            absl::NotFoundError("$KUBECONFIG (/nope/a:/nope/b) names no existing file"));
}

TEST_F(KubeConfigTest, NotAKubeconfig) {
  EXPECT_EQ(LoadDefault("- a\n- b\n").status(),
            absl::InvalidArgumentError("~/.kube/config: (top level): not a map (is this a kubeconfig?)"));
  EXPECT_EQ(LoadDefault("clusters: {a: b}\n").status(),
            absl::InvalidArgumentError("~/.kube/config: clusters: not a list"));
  EXPECT_THAT(LoadDefault("clusters: [\n").status().message(), HasSubstr("~/.kube/config: "));
}

TEST_F(KubeConfigTest, DuplicateNameInOneFile) {
  auto config = LoadDefault("users:\n- name: u\n  user: {}\n- name: u\n  user: {}\n");
  EXPECT_EQ(config.status(),
            absl::InvalidArgumentError("~/.kube/config: users[1].name: duplicate name \"u\""));
}

class InClusterConfigTest : public KubeConfigTest {};

TEST_F(InClusterConfigTest, ReadsTheServiceAccount) {
  const std::string dir = home_ + "/sa";
  WriteFile(dir + "/token", "tok\n");
  WriteFile(dir + "/ca.crt", pki_->ca_pem);
  WriteFile(dir + "/namespace", "kube-system");
  auto config = InClusterConfig(
      {.service_account_dir = dir, .service_host = "10.96.0.1", .service_port = "443"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token_file, dir + "/token");
  EXPECT_EQ(config->ca_pem, pki_->ca_pem);
  EXPECT_EQ(config->namespace_name, "kube-system");
  EXPECT_EQ(config->source, "in-cluster service account");
}

TEST_F(InClusterConfigTest, Ipv6ServiceHostIsBracketed) {
  const std::string dir = home_ + "/sa";
  WriteFile(dir + "/token", "tok");
  WriteFile(dir + "/ca.crt", pki_->ca_pem);
  auto config = InClusterConfig(
      {.service_account_dir = dir, .service_host = "fd00::1", .service_port = "443"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
  EXPECT_EQ(config->namespace_name, "default");
}

TEST_F(InClusterConfigTest, OutsideAPod) {
  auto config = InClusterConfig({.service_account_dir = home_, .service_host = "", .service_port = ""});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("not running in a Kubernetes pod"));
}

TEST_F(InClusterConfigTest, MissingToken) {
  auto config = InClusterConfig(
      {.service_account_dir = home_ + "/sa", .service_host = "10.0.0.1", .service_port = "443"});
  EXPECT_EQ(config.status(),
            absl::NotFoundError(home_ + "/sa/token: no such file (no service account token)"));
}

}  // namespace
}  // namespace nanoplane::kube
