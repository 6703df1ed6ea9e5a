#pragma once

// The agent's testing modes as command-line flags, shared by
// `nanoplane-agent` and `nanoplane up` so both spell and check them alike.
// They sit in a "Testing" group of --help.

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "agent/server/agent_server.h"

namespace nanoplane::agent {

struct TestingFlags {
  std::string driver = "libvirt";
  std::string simulated_boot = "100ms";
  std::string test_guest_dir;
};

// Adds --driver, --simulated-boot and --test-guest to `app`; `flags` must
// outlive the parse.
void AddTestingFlags(CLI::App& app, TestingFlags& flags);

// Sets the options' testing fields. InvalidArgument naming the flag.
[[nodiscard]] absl::Status ApplyTestingFlags(const TestingFlags& flags,
                                             AgentServerOptions& options);

}  // namespace nanoplane::agent
