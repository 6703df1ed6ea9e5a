#include "common/http/http_endpoints.h"

#include <cpprest/http_client.h>
#include <gtest/gtest.h>

#include <atomic>

namespace nanoplane {
namespace {

std::pair<int, std::string> Get(const std::string& address, const std::string& path) {
  web::http::client::http_client client("http://" + address);
  auto response = client.request(web::http::methods::GET, path).get();
  return {response.status_code(), response.extract_string().get()};
}

TEST(HttpEndpointsTest, ServesHealthReadinessAndMetrics) {
  MetricsRegistry metrics;
  metrics.AddCounter("nanoplane_test_total", "A test counter.").Increment();
  std::atomic<bool> ready{false};
  auto endpoints =
      HttpEndpoints::Start({.address = "127.0.0.1:0",
                            .ready = [&] { return ready ? "" : std::string("waiting for hosts"); }},
                           metrics);
  ASSERT_TRUE(endpoints.ok()) << endpoints.status();
  std::string address = (*endpoints)->address();
  EXPECT_EQ(Get(address, "/healthz"), std::make_pair(200, std::string("ok\n")));
  EXPECT_EQ(Get(address, "/readyz"), std::make_pair(503, std::string("waiting for hosts\n")));
  ready = true;
  EXPECT_EQ(Get(address, "/readyz").first, 200);
  auto [code, body] = Get(address, "/metrics");
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find("nanoplane_test_total 1"), std::string::npos) << body;
  EXPECT_EQ(Get(address, "/nope").first, 404);
}

TEST(HttpEndpointsTest, RejectsMalformedAddresses) {
  MetricsRegistry metrics;
  EXPECT_EQ(HttpEndpoints::Start({.address = "nowhere"}, metrics).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpEndpoints::Start({.address = "127.0.0.1:99999"}, metrics).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nanoplane
