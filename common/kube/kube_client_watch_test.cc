// KubeClient::Watch against a scripted server writing a chunked watch stream.

#include <atomic>

#include "absl/synchronization/notification.h"
#include "common/kube/kube_client.h"
#include "common/kube/scripted_server.h"
#include "common/kube/test_status_bodies.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

using ::testing::HasSubstr;
using test::HttpRequest;
using test::Reply;
using test::ScriptedServer;

const char kUnikernels[] = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels";

std::unique_ptr<KubeClient> ClientFor(const std::string& url) {
  auto client = KubeClient::New(
      KubeConfig{.server = url, .token = "t", .source = "kubeconfig k", .user = "u"},
      ClientOptions{.qps = 0, .initial_backoff = absl::Milliseconds(20)});
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

std::string Event(const std::string& type, const std::string& name, const std::string& rv) {
  return R"({"type":")" + type +
         R"(","object":{"apiVersion":"nanoplane.dev/v1alpha1","kind":"Unikernel","metadata":{"name":")" +
         name + R"(","namespace":"default","resourceVersion":")" + rv + R"("}}})" "\n";
}

// Reads until `count` events or an error.
absl::StatusOr<std::vector<WatchEvent>> ReadEvents(WatchStream& stream, size_t count) {
  std::vector<WatchEvent> events;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (events.size() < count && absl::Now() < deadline) {
    auto next = stream.Next(deadline);
    if (!next.ok()) {
      return next.status();
    }
    events.insert(events.end(), next->begin(), next->end());
  }
  return events;
}

TEST(KubeClientWatchTest, EventsArriveAsTheyAreWritten) {
  absl::Notification first_seen;
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    reply.StartChunked(200);
    reply.Chunk(Event("ADDED", "web", "10"));
    // The second event only once the client has the first: so the first
    // cannot have come with the end of the body.
    first_seen.WaitForNotificationWithTimeout(absl::Seconds(10));
    reply.Chunk(Event("MODIFIED", "web", "11"));
    reply.EndChunked();
  });
  auto client = ClientFor(server.url());
  auto stream = client->Watch(kUnikernels, {{"resourceVersion", "9"}, {"allowWatchBookmarks", "true"}});
  ASSERT_TRUE(stream.ok()) << stream.status();
  auto first = ReadEvents(**stream, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].type, "ADDED");
  first_seen.Notify();
  auto second = ReadEvents(**stream, 1);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)[0].object["metadata"]["resourceVersion"], "11");
  // Then the server's end of the body: a clean end, to be resumed.
  auto end = (*stream)->Next(absl::Now() + absl::Seconds(10));
  EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsWatchEnded(end.status())) << end.status();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].query,
            "resourceVersion=9&allowWatchBookmarks=true&watch=true&timeoutSeconds=300");
}

TEST(KubeClientWatchTest, StopEndsABlockedNextPromptly) {
  absl::Notification release;
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    reply.StartChunked(200);
    release.WaitForNotificationWithTimeout(absl::Seconds(20));
  });
  auto client = ClientFor(server.url());
  auto stream = client->Watch(kUnikernels);
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(200));
    (*stream)->Stop();
  });
  absl::Time start = absl::Now();
  auto next = (*stream)->Next(absl::Now() + absl::Seconds(30));
  stopper.join();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kCancelled) << next.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  stream->reset();  // the reader thread ends too
  release.Notify();
}

TEST(KubeClientWatchTest, DroppedConnectionIsUnavailableButNotEnded) {
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    reply.StartChunked(200);
    reply.Chunk(Event("ADDED", "web", "10"));
    reply.Drop();
  });
  auto client = ClientFor(server.url());
  auto stream = client->Watch(kUnikernels);
  ASSERT_TRUE(stream.ok()) << stream.status();
  auto events = ReadEvents(**stream, 2);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(IsWatchEnded(events.status()));
}

TEST(KubeClientWatchTest, ErrorEventGoneIsOutOfRange) {
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    reply.StartChunked(200);
    reply.Chunk(std::string(R"({"type":"ERROR","object":)") + test::kGone + "}\n");
    reply.EndChunked();
  });
  auto client = ClientFor(server.url());
  auto stream = client->Watch(kUnikernels, {{"resourceVersion", "1"}});
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::Status end = (*stream)->Next(absl::Now() + absl::Seconds(10)).status();
  EXPECT_EQ(end.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(end.message(), "too old resource version: 1 (1234)");
}

TEST(KubeClientWatchTest, RefusedStartIsMappedLikeARequest) {
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    reply.Send(403, test::kForbiddenList);
  });
  auto client = ClientFor(server.url());
  auto stream = client->Watch(kUnikernels);
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(stream.status().message(), HasSubstr("cannot list resource \"unikernels\""));
}

TEST(KubeClientWatchTest, ManyEventsInOneChunkAndAcrossChunks) {
  ScriptedServer server([&](const HttpRequest&, Reply& reply) {
    reply.StartChunked(200);
    std::string all;
    for (int i = 0; i < 200; ++i) {
      all += Event("ADDED", "uk-" + std::to_string(i), std::to_string(100 + i));
    }
    // Chunk boundaries that cut events in the middle.
    for (size_t at = 0; at < all.size(); at += 777) {
      reply.Chunk(all.substr(at, 777));
    }
    reply.EndChunked();
  });
  auto client = ClientFor(server.url());
  auto stream = client->Watch(kUnikernels);
  ASSERT_TRUE(stream.ok()) << stream.status();
  auto events = ReadEvents(**stream, 200);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 200u);
  EXPECT_EQ((*events)[199].object["metadata"]["name"], "uk-199");
}

}  // namespace
}  // namespace nanoplane::kube
