// The assembled agent: one per state directory.

#include "agent/server/agent_server.h"

#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

AgentServerOptions Options(const std::string& state_dir) {
  AgentServerOptions options{.controller = "127.0.0.1:1",  // never answers; none is needed
                             .join_token = "token",
                             .state_dir = state_dir,
                             .metrics_address = ""};
  options.driver = AgentDriver::kSimulated;
  return options;
}

TEST(AgentServerTest, ASecondAgentOverTheSameStateDirectoryIsRefused) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("np-agent-server-" + std::to_string(getpid())))
          .string();
  {
    absl::StatusOr<std::unique_ptr<AgentServer>> first = AgentServer::Start(Options(dir));
    ASSERT_TRUE(first.ok()) << first.status();
    absl::StatusOr<std::unique_ptr<AgentServer>> second = AgentServer::Start(Options(dir));
    ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
    EXPECT_NE(second.status().message().find("the state directory " + dir + " is in use"),
              std::string::npos)
        << second.status();
  }
  EXPECT_TRUE(AgentServer::Start(Options(dir)).ok()) << "the lock outlived its agent";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nanoplane::agent
