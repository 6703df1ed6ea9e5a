#pragma once

// Runs a program to completion (qemu-img, the KVM probe) without a shell.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanoplane::agent {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal (including the timeout)
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved, at most 64 KiB
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null. Kills it with
// SIGKILL after `timeout`. Returns Internal only when it cannot be started.
[[nodiscard]] absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                                       absl::Duration timeout);

}  // namespace nanoplane::agent
