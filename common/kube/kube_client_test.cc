// KubeClient over plain HTTP against a scripted server on 127.0.0.1: requests,
// retries, the rate limit, error mapping and watches. TLS: kube_client_tls_test.cc.

#include "common/kube/kube_client.h"

#include <atomic>
#include <filesystem>

#include "absl/synchronization/notification.h"
#include "common/kube/api_status.h"
#include "common/kube/scripted_server.h"
#include "common/kube/test_certs.h"
#include "common/kube/test_status_bodies.h"
#include "common/testing/net_wait.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test::HttpRequest;
using test::Reply;
using test::ScriptedServer;

const char kPods[] = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels";
const char kWeb[] = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels/web";

KubeConfig ConfigFor(const std::string& url) {
  return KubeConfig{.server = url,
                    .token = "tok-123",
                    .source = "kubeconfig ~/.kube/config",
                    .context = "dev",
                    .user = "alice"};
}

// Fast retries, no rate limit: what most tests want.
ClientOptions FastOptions() {
  return ClientOptions{.qps = 0, .initial_backoff = absl::Milliseconds(20)};
}

std::unique_ptr<KubeClient> ClientFor(const std::string& url, ClientOptions options = FastOptions(),
                                      KubeConfig config = {}) {
  if (config.server.empty()) {
    config = ConfigFor(url);
  }
  auto client = KubeClient::New(std::move(config), std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

std::string PercentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

TEST(KubeClientTest, ObserverSeesEveryRequestWithItsOutcomeAfterRetries) {
  std::atomic<int> served{0};
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    if (served++ == 0) {
      reply.Send(503, test::kServiceUnavailable);
    } else {
      reply.Send(404, test::kObjectNotFound);
    }
  });
  struct Seen {
    std::string method, path;
    absl::Duration took;
    absl::StatusCode code;
  };
  std::vector<Seen> seen;
  ClientOptions options = FastOptions();
  options.on_request = [&](std::string_view method, std::string_view path, absl::Duration took,
                           const absl::Status& outcome) {
    seen.push_back({std::string(method), std::string(path), took, outcome.code()});
  };
  auto client = ClientFor(server.url(), std::move(options));
  EXPECT_TRUE(absl::IsNotFound(client->Get(kWeb).status()));
  ASSERT_EQ(seen.size(), 1u) << "one call, its retry included";
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, kWeb);
  EXPECT_EQ(seen[0].code, absl::StatusCode::kNotFound);
  EXPECT_GE(seen[0].took, absl::Milliseconds(10)) << "the back-off before the retry counts";
}

TEST(KubeClientTest, GetSendsTokenAcceptAndQuery) {
  ScriptedServer server([](const HttpRequest&, Reply& reply) {
    reply.Send(200, R"({"kind":"UnikernelList","items":[]})");
  });
  auto client = ClientFor(server.url());
  auto list = client->Get(kPods, {{"labelSelector", "app=web,tier in (a,b)"}, {"limit", "50"}});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ((*list)["kind"], "UnikernelList");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path, kPods);
  EXPECT_EQ(PercentDecode(requests[0].query), "labelSelector=app=web,tier in (a,b)&limit=50");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer tok-123");
  EXPECT_EQ(requests[0].headers["accept"], "application/json");
}

TEST(KubeClientTest, WritesCarryTheirBodiesAndContentTypes) {
  ScriptedServer server([](const HttpRequest& request, Reply& reply) {
    bool json = request.headers.at("content-type").find("json") != std::string::npos;
    reply.Send(request.method == "POST" ? 201 : 200, json ? request.body : "{}");
  });
  auto client = ClientFor(server.url());
  Json web = {{"apiVersion", "nanoplane.dev/v1alpha1"}, {"kind", "Unikernel"},
              {"metadata", {{"name", "web"}}}};
  ASSERT_TRUE(client->Create(kPods, web).ok());
  ASSERT_TRUE(client->Update(kWeb, web).ok());
  ASSERT_TRUE(client->Patch(kWeb + std::string("/status"), kMergePatch, R"({"status":{}})").ok());
  ASSERT_TRUE(client->Patch(kWeb, kApplyPatch, "kind: Unikernel\n", {{"fieldManager", "np"}}).ok());
  ASSERT_TRUE(client->Delete(kWeb, {{"preconditions", {{"resourceVersion", "7"}}}}).ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(Json::parse(requests[0].body), web);
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[2].headers["content-type"], "application/merge-patch+json");
  EXPECT_EQ(requests[2].path, std::string(kWeb) + "/status");
  EXPECT_EQ(requests[3].headers["content-type"], "application/apply-patch+yaml");
  EXPECT_EQ(requests[3].query, "fieldManager=np");
  EXPECT_EQ(requests[4].method, "DELETE");
  EXPECT_EQ(Json::parse(requests[4].body)["preconditions"]["resourceVersion"], "7");
}

TEST(KubeClientTest, RetriesA429AfterItsRetryAfter) {
  std::atomic<int> calls = 0;
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    if (calls++ == 0) {
      reply.Send(429, test::kTooManyRequests, {"Retry-After: 1"});
    } else {
      reply.Send(200, "{}");
    }
  });
  auto client = ClientFor(server.url());
  absl::Time start = absl::Now();
  // A POST too: a 429 was not processed, so any verb is safe to send again.
  ASSERT_TRUE(client->Create(kPods, Json::object()).ok());
  EXPECT_EQ(calls, 2);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(950));
}

TEST(KubeClientTest, RetriesA503ThenSucceeds) {
  std::atomic<int> calls = 0;
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    if (calls++ < 2) {
      reply.Send(503, test::kServiceUnavailable);
    } else {
      reply.Send(200, R"({"kind":"Namespace"})");
    }
  });
  auto client = ClientFor(server.url());
  auto got = client->Get("/api/v1/namespaces/default");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(calls, 3);
}

TEST(KubeClientTest, ServerErrorsExhaustTheAttempts) {
  std::atomic<int> calls = 0;
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    ++calls;
    reply.Send(500, test::kInternalError);
  });
  ClientOptions options = FastOptions();
  options.max_attempts = 3;
  auto client = ClientFor(server.url(), options);
  auto got = client->Get(kWeb);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(got.status().message(), HasSubstr("etcdserver: request timed out"));
  EXPECT_EQ(calls, 3);
  // A POST that got a 500 may have been applied: it is not sent again.
  calls = 0;
  EXPECT_EQ(client->Create(kPods, Json::object()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls, 1);
}

struct Mapping {
  std::string name;
  int code;
  std::string body;
  absl::StatusCode expected;
  std::string message_part;
};

void PrintTo(const Mapping& mapping, std::ostream* os) { *os << mapping.name; }

class ErrorMappingTest : public ::testing::TestWithParam<Mapping> {};

TEST_P(ErrorMappingTest, MapsTheAnswer) {
  const Mapping& m = GetParam();
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    reply.Send(m.code, m.body, {}, m.body.starts_with("{") ? "application/json" : "text/plain");
  });
  auto client = ClientFor(server.url());
  auto got = client->Get(kWeb);
  EXPECT_EQ(got.status().code(), m.expected) << got.status();
  EXPECT_THAT(got.status().message(), HasSubstr(m.message_part));
  EXPECT_THAT(got.status().message(), Not(HasSubstr("tok-123")));
  ASSERT_TRUE(ApiStatusOf(got.status()).has_value());
  EXPECT_EQ(ApiStatusOf(got.status())->code, m.code);
  EXPECT_EQ(server.requests().size(), 1u);  // none of these is retried
}

INSTANTIATE_TEST_SUITE_P(
    Answers, ErrorMappingTest,
    ::testing::Values(
        Mapping{"Unauthorized", 401, test::kUnauthorized, absl::StatusCode::kUnauthenticated,
                "rejected the credentials (401 Unauthorized) of user \"alice\" in kubeconfig "
                "~/.kube/config"},
        Mapping{"Forbidden", 403, test::kForbiddenList, absl::StatusCode::kPermissionDenied,
                "cannot list resource \"unikernels\" in API group \"nanoplane.dev\" in the "
                "namespace \"default\""},
        Mapping{"UnknownResource", 404, test::kPageNotFound, absl::StatusCode::kNotFound,
                "the server has no resource unikernels.nanoplane.dev; install crds/"},
        Mapping{"ObjectNotFound", 404, test::kObjectNotFound, absl::StatusCode::kNotFound,
                "unikernels.nanoplane.dev \"web\" not found"},
        Mapping{"AlreadyExists", 409, test::kAlreadyExists, absl::StatusCode::kAlreadyExists,
                "already exists"},
        Mapping{"Conflict", 409, test::kConflict, absl::StatusCode::kAborted,
                "the object has been modified"},
        Mapping{"Gone", 410, test::kGone, absl::StatusCode::kOutOfRange, "too old resource version"},
        Mapping{"Invalid", 422, test::kInvalid, absl::StatusCode::kInvalidArgument,
                "spec.replicas: Invalid value: -1"},
        Mapping{"BadRequest", 400, test::kBadRequest, absl::StatusCode::kInvalidArgument,
                "error decoding patch"}),
    [](const auto& info) { return info.param.name; });

TEST(KubeClientTest, RateLimitSpacesRequests) {
  ScriptedServer server([](const HttpRequest&, Reply& reply) { reply.Send(200, "{}"); });
  ClientOptions options = FastOptions();
  options.qps = 10;
  options.burst = 2;
  auto client = ClientFor(server.url(), options);
  absl::Time start = absl::Now();
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(client->Get("/api/v1/namespaces").ok());
  }
  // 2 at once, then 10 more at 10 a second: at least a second, loosely.
  absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, absl::Seconds(5));
}

TEST(KubeClientTest, ConnectionRefusedNamesTheAddress) {
  const int port = test_support::FreePort();
  ClientOptions options = FastOptions();
  options.max_attempts = 2;
  auto client = ClientFor("http://127.0.0.1:" + std::to_string(port), options);
  auto got = client->Get("/api/v1/namespaces");
  EXPECT_EQ(got.status(), absl::UnavailableError("cannot reach the Kubernetes API server at "
                                                 "http://127.0.0.1:" +
                                                 std::to_string(port) + ": connection refused"));
}

TEST(KubeClientTest, SlowAnswerIsDeadlineExceeded) {
  absl::Notification done;
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    done.WaitForNotificationWithTimeout(absl::Seconds(10));
    reply.Send(200, "{}");
  });
  ClientOptions options = FastOptions();
  options.max_attempts = 1;
  options.request_timeout = absl::Milliseconds(300);
  auto client = ClientFor(server.url(), options);
  absl::Time start = absl::Now();
  auto got = client->Get("/api/v1/namespaces");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDeadlineExceeded) << got.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  done.Notify();
}

TEST(KubeClientTest, ThreadsShareOneClient) {
  ScriptedServer server([](const HttpRequest& request, Reply& reply) {
    reply.Send(200, R"({"path":")" + request.path + R"("})");
  });
  auto client = ClientFor(server.url());
  std::atomic<int> ok = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string path = "/api/v1/namespaces/ns-" + std::to_string(t * 10 + i);
        auto got = client->Get(path);
        if (got.ok() && (*got)["path"] == path) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok, 40);
  EXPECT_EQ(server.requests().size(), 40u);
}

TEST(KubeClientTest, RotatedTokenFileIsUsed) {
  const std::string dir = test::TempDir("rotate");
  test::WriteFile(dir + "/token", "first");
  ScriptedServer server([](const HttpRequest&, Reply& reply) { reply.Send(200, "{}"); });
  KubeConfig config = ConfigFor(server.url());
  config.token_file = dir + "/token";
  auto client = ClientFor(server.url(), FastOptions(), config);
  ASSERT_TRUE(client->Get("/api/v1/namespaces").ok());
  test::WriteFile(dir + "/token", "second-token");  // another size: seen at once
  ASSERT_TRUE(client->Get("/api/v1/namespaces").ok());
  auto requests = server.requests();
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer first");
  EXPECT_EQ(requests[1].headers["authorization"], "Bearer second-token");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nanoplane::kube
