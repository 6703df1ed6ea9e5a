#include "agent/adapters/exit_status.h"

#include <libvirt/libvirt.h>

#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

constexpr char kLog[] =
    "2026-11-26 16:19:18.569+0000: starting up libvirt version: 9.0.0\n"
    "2026-11-26T16:19:20Z qemu-system-x86_64: terminating on signal 15 from pid 1 (libvirtd)\n"
    "nanoplane: qemu exit status 0\n"
    "2026-11-26 16:19:26.779+0000: starting up libvirt version: 9.0.0\n"
    "2026-11-26 16:19:26.779+0000: Domain id=8 is tainted: custom-argv\n"
    "nanoplane: qemu exit status 7\n"
    "2026-11-26 16:19:31.673+0000: shutting down, reason=crashed\n";

TEST(ExitStatusTest, ReadsOnlyTheLastRun) {
  EXPECT_EQ(ParseDomainLog(kLog), (QemuRun{.exit_status = 7, .terminated_by_signal = false}));
  EXPECT_EQ(ParseDomainLog("starting up\n"), QemuRun{});
  EXPECT_EQ(ParseDomainLog("starting up\nqemu: terminating on signal 15\nnanoplane: qemu exit "
                           "status 0\n"),
            (QemuRun{.exit_status = 0, .terminated_by_signal = true}));
}

TEST(ExitStatusTest, ClassifiesHowTheDomainStopped) {
  const QemuRun debug_exit{.exit_status = 7};
  const QemuRun killed{.exit_status = 0, .terminated_by_signal = true};
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_CRASHED, true, debug_exit),
            (StopClassification{.reason = StopReason::kExited, .exit_code = 3}));
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_CRASHED, true, QemuRun{.exit_status = 1}),
            (StopClassification{.reason = StopReason::kExited, .exit_code = 0}));
  // Without debug_exit an odd status is just a dying QEMU.
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_CRASHED, false, debug_exit).reason,
            StopReason::kCrashed);
  // A panic: libvirt killed QEMU after the pvpanic event.
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_CRASHED, true, killed).reason, StopReason::kCrashed);
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_CRASHED, true, QemuRun{}).reason,
            StopReason::kCrashed);
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_SHUTDOWN, true, debug_exit).reason,
            StopReason::kShutdown);
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_DESTROYED, false, killed).reason,
            StopReason::kDestroyed);
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_FAILED, false, {}).reason, StopReason::kFailed);
  EXPECT_EQ(ClassifyShutoff(VIR_DOMAIN_SHUTOFF_UNKNOWN, false, {}).reason, StopReason::kNone);
}

TEST(ExitStatusTest, WrapperRunsQemuAndReportsItsStatus) {
  std::string script = QemuWrapperScript("/usr/bin/qemu-system-x86_64");
  EXPECT_EQ(script.rfind("#!/bin/sh\n", 0), 0u);
  EXPECT_NE(script.find("'/usr/bin/qemu-system-x86_64' \"$@\" &"), std::string::npos);
  EXPECT_NE(script.find(kExitStatusMarker), std::string::npos);
}

}  // namespace
}  // namespace nanoplane::agent
