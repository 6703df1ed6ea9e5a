#pragma once

// How a libvirt domain stopped, and the guest's exit code.
//
// libvirt does not expose QEMU's exit status: QEMU is not libvirtd's child,
// and a QEMU that exits through isa-debug-exit (Nanos's `debug_exit`) is
// reported like any unexpected death: shut off, reason "crashed". So the
// driver runs QEMU through a small wrapper (the domain's <emulator>) that
// waits for QEMU and writes its status to stderr, which libvirt sends to the
// domain log (/var/log/libvirt/qemu/NAME.log). The wrapper forwards SIGTERM
// (libvirt's destroy) to QEMU.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent {

inline constexpr char kExitStatusMarker[] = "nanoplane: qemu exit status ";

// The wrapper's /bin/sh source, running `qemu_binary`.
std::string QemuWrapperScript(std::string_view qemu_binary);

// Writes the wrapper to `path` (mode 0755) unless it already has that content:
// libvirt re-probes an emulator whose file changed (several seconds).
[[nodiscard]] absl::Status InstallQemuWrapper(const std::string& path,
                                              std::string_view qemu_binary);

// What the domain log says about QEMU's last run (the text after the last
// "starting up" line libvirt writes at each start).
struct QemuRun {
  std::optional<int> exit_status;     // from the wrapper
  bool terminated_by_signal = false;  // QEMU said "terminating on signal"
  bool operator==(const QemuRun&) const = default;
};
QemuRun ParseDomainLog(std::string_view log);

// The last `max_bytes` of a file; empty when it cannot be read.
std::string ReadFileTail(const std::string& path, size_t max_bytes);

struct StopClassification {
  StopReason reason = StopReason::kNone;
  std::optional<int> exit_code;
  bool operator==(const StopClassification&) const = default;
};

// From libvirt's shut-off reason (virDomainShutoffReason) and the log. A
// "crashed" domain whose QEMU exited by itself with an odd status, with
// debug_exit on, exited through isa-debug-exit: code = status >> 1.
StopClassification ClassifyShutoff(int shutoff_reason, bool debug_exit, const QemuRun& run);

}  // namespace nanoplane::agent
