#include "agent/server/testing_flags.h"

#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

absl::StatusOr<AgentServerOptions> Parse(std::vector<std::string> args) {
  CLI::App app;
  TestingFlags flags;
  AddTestingFlags(app, flags);
  args.insert(args.begin(), "nanoplane-agent");
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  AgentServerOptions options;
  if (absl::Status status = ApplyTestingFlags(flags, options); !status.ok()) {
    return status;
  }
  return options;
}

TEST(TestingFlagsTest, DefaultsToLibvirtWithNanosImages) {
  absl::StatusOr<AgentServerOptions> options = Parse({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->driver, AgentDriver::kLibvirt);
  EXPECT_EQ(options->test_guest_dir, "");
}

TEST(TestingFlagsTest, SimulatedDriverTakesABootTime) {
  absl::StatusOr<AgentServerOptions> options =
      Parse({"--driver", "simulated", "--simulated-boot", "250ms"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->driver, AgentDriver::kSimulated);
  EXPECT_EQ(options->simulated_boot, absl::Milliseconds(250));
}

TEST(TestingFlagsTest, RejectsWhatCannotWork) {
  EXPECT_FALSE(Parse({"--driver", "qemu"}).ok());
  EXPECT_EQ(Parse({"--simulated-boot", "soon"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--simulated-boot", "-1s"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--driver", "simulated", "--test-guest", "/tmp/g"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TestingFlagsTest, TestGuestKeepsTheLibvirtDriver) {
  absl::StatusOr<AgentServerOptions> options = Parse({"--test-guest", "/tmp/guest"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->driver, AgentDriver::kLibvirt);
  EXPECT_EQ(options->test_guest_dir, "/tmp/guest");
}

}  // namespace
}  // namespace nanoplane::agent
