// The assembled controller: one per data directory.

#include "controller/server/controller_server.h"

#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace nanoplane::controller {
namespace {

ControllerServerOptions Options(const std::string& data_dir) {
  return {.data_dir = data_dir,
          .api_address = "127.0.0.1:0",
          .agent_address = "127.0.0.1:0",
          .metrics_address = "",
          .join_token = "token"};
}

TEST(ControllerServerTest, ASecondControllerOverTheSameDataDirectoryIsRefused) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("np-controller-server-" + std::to_string(getpid())))
                              .string();
  {
    absl::StatusOr<std::unique_ptr<ControllerServer>> first = ControllerServer::Start(Options(dir));
    ASSERT_TRUE(first.ok()) << first.status();
    absl::StatusOr<std::unique_ptr<ControllerServer>> second =
        ControllerServer::Start(Options(dir));
    ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(second.status().message().find("the data directory " + dir + " is in use"),
              std::string::npos)
        << second.status();
  }
  EXPECT_TRUE(ControllerServer::Start(Options(dir)).ok()) << "the lock outlived its server";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nanoplane::controller
