// Console logs: tail from an offset, from the end, follow until cancelled,
// rotation, and the agent serving LogRequests from the controller.

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/app/agent_test_util.h"
#include "agent/app/console_log.h"
#include "common/testing/net_wait.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::app::testing {
namespace {

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

using ::nanoplane::test_support::WaitFor;

bool Never() { return false; }

class ConsoleLogTest : public AgentFixture {
 protected:
  ConsoleLogOptions options_{.max_bytes = 1 << 20, .poll = absl::Milliseconds(10)};
  std::string path() const { return state_dir_ + "/console.log"; }
  void SetUp() override {
    AgentFixture::SetUp();
    std::filesystem::create_directories(state_dir_);
  }
};

TEST_F(ConsoleLogTest, SendsFromAnOffset) {
  Append(path(), "hello world\n");
  CollectingSink sink;
  ServeConsoleLog(path(), 6, false, sink, Never, options_);
  EXPECT_EQ(sink.data(), "world\n");
  EXPECT_EQ(sink.offsets().front(), 6);
  EXPECT_TRUE(sink.ended());
  EXPECT_EQ(sink.error(), "");
}

TEST_F(ConsoleLogTest, NegativeOffsetCountsFromTheEnd) {
  Append(path(), "hello world\n");
  CollectingSink sink;
  ServeConsoleLog(path(), -6, false, sink, Never, options_);
  EXPECT_EQ(sink.data(), "world\n");
  CollectingSink all;
  ServeConsoleLog(path(), -1000, false, all, Never, options_);
  EXPECT_EQ(all.data(), "hello world\n");
}

TEST_F(ConsoleLogTest, MissingLogEndsWithAnError) {
  CollectingSink sink;
  ServeConsoleLog(path(), 0, false, sink, Never, options_);
  EXPECT_TRUE(sink.ended());
  EXPECT_NE(sink.error(), "");
}

TEST_F(ConsoleLogTest, FollowSendsWhatIsAppendedUntilCancelled) {
  Append(path(), "boot\n");
  CollectingSink sink;
  std::thread follower([&] { ServeConsoleLog(path(), 0, true, sink, Never, options_); });
  EXPECT_TRUE(WaitFor([&] { return sink.data() == "boot\n"; }));
  Append(path(), "ready\n");
  EXPECT_TRUE(WaitFor([&] { return sink.data() == "boot\nready\n"; }));
  sink.cancel();
  follower.join();  // returns because the sink was cancelled
  EXPECT_FALSE(sink.ended());
}

TEST_F(ConsoleLogTest, RotationKeepsTheOldLogAndFollowersLoseNothing) {
  options_.max_bytes = 10;
  Append(path(), "0123456789abc");
  CollectingSink sink;
  std::thread follower([&] { ServeConsoleLog(path(), 0, true, sink, Never, options_); });
  EXPECT_TRUE(WaitFor([&] { return sink.data() == "0123456789abc"; }));
  Append(path(), "def");
  EXPECT_TRUE(RotateConsoleLog(path(), options_.max_bytes));
  EXPECT_EQ(std::filesystem::file_size(path()), 0u);
  EXPECT_EQ(std::filesystem::file_size(path() + ".1"), 16u);
  Append(path(), "new\n");
  EXPECT_TRUE(WaitFor([&] { return sink.data() == "0123456789abcdefnew\n"; })) << sink.data();
  sink.cancel();
  follower.join();
  EXPECT_FALSE(RotateConsoleLog(path(), options_.max_bytes));
}

TEST_F(ConsoleLogTest, AgentServesLogRequestsAndStopEndsFollowers) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Start().ok());
  Append(agent->ConsoleLogPath("web-0"), "np-test-guest: ready\n");

  auto tail = std::make_shared<CollectingSink>();
  v1::LogRequest request;
  request.set_instance("web-0");
  request.set_offset(-6);
  link_.SendLogRequest(request, tail);
  EXPECT_TRUE(WaitFor([&] { return tail->ended(); }));
  EXPECT_EQ(tail->data(), "ready\n");

  auto bad = std::make_shared<CollectingSink>();
  request.set_instance("../../etc/passwd");
  link_.SendLogRequest(request, bad);
  EXPECT_TRUE(bad->ended());
  EXPECT_NE(bad->error(), "");

  auto follow = std::make_shared<CollectingSink>();
  request.set_instance("web-0");
  request.set_offset(0);
  request.set_follow(true);
  link_.SendLogRequest(request, follow);
  Append(agent->ConsoleLogPath("web-0"), "more\n");
  EXPECT_TRUE(WaitFor([&] { return follow->data() == "np-test-guest: ready\nmore\n"; }));
  agent->Stop();  // joins the follower
  EXPECT_TRUE(follow->ended());
}

}  // namespace
}  // namespace nanoplane::agent::app::testing
