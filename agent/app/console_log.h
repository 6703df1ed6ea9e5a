#pragma once

// Console logs: each instance's serial console goes to LOGS_DIR/NAME.log (QEMU
// appends to it across boots, and the agent keeps it after the VM is deleted,
// so a crash can be read).
//
// Rotation is the agent's, not virtlogd's: libvirt routes a <serial type=file>
// straight to QEMU, which holds the file open with O_APPEND. When the file
// exceeds the cap, the agent copies it to NAME.log.1 (replacing the previous
// one) and truncates NAME.log; QEMU's next write lands at the new end. So at
// most 2 x cap per instance is kept: the last cap to 2 x cap bytes. Bytes QEMU
// writes between the copy and the truncation are lost (logrotate's
// copytruncate has the same window); the window is microseconds.
//
// Offsets are byte offsets in the current NAME.log. A follower that finds the
// file shorter than its offset knows it was rotated: it finishes from
// NAME.log.1 (the old file, at the same offsets), then continues at 0.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "agent/ports/controller_link.h"

namespace nanoplane::agent::app {

struct ConsoleLogOptions {
  int64_t max_bytes = 8LL << 20;                  // rotate beyond this
  absl::Duration poll = absl::Milliseconds(200);  // follow: how often to look for growth
  size_t chunk_bytes = 64 << 10;                  // largest LogChunk
};

// Rotates `path` when it is larger than `max_bytes`; true when it did.
bool RotateConsoleLog(const std::string& path, int64_t max_bytes);

// Sends `path` to `sink` from `offset` (negative: that many bytes before the
// end), then, with `follow`, what is appended, until the sink is cancelled or
// `stopping()` holds. Ends the sink (with an error when the log does not exist
// and `follow` is off). Blocking: run it on its own thread.
void ServeConsoleLog(const std::string& path, int64_t offset, bool follow, LogSink& sink,
                     const std::function<bool()>& stopping, const ConsoleLogOptions& options);

}  // namespace nanoplane::agent::app
