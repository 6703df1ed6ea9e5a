#pragma once

// The agent's last assignment on disk (STATE_DIR/assignment.pb), so that an
// agent restarted while the controller is away keeps running what it had.
//
// Saving is atomic: the bytes go to a temporary file in the same directory,
// which is fsynced and renamed over the old one, so a kill -9 at any moment
// leaves either the old assignment or the new one, never a torn file.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nanoplane/agent/v1/agent.pb.h"

namespace nanoplane::agent::app {

// Writes `assignment` to `path` atomically. Internal on I/O errors.
[[nodiscard]] absl::Status SaveAssignment(const std::string& path,
                                          const v1::Assignment& assignment);

// The assignment saved at `path`; nullopt when there is none. DataLoss when
// the file exists but does not parse; Internal when it cannot be read.
[[nodiscard]] absl::StatusOr<std::optional<v1::Assignment>> LoadAssignment(const std::string& path);

}  // namespace nanoplane::agent::app
