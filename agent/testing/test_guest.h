#pragma once

// The Linux test guest: Debian's cloud kernel (linux-image-cloud-amd64) and an
// initramfs built at test time from busybox-static, booted by direct kernel
// boot under the real VM driver where no Nanos release is at hand.
//
// Its /init mounts proc, sys and dev, loads virtio-net, the ACPI power button
// and pvpanic, sets up eth0 as 10.0.2.15/24 via 10.0.2.2 (QEMU user-mode
// networking), powers off on an ACPI power-button press, prints
// kTestGuestMarker to the serial console and then follows the kernel cmdline:
//   np.mode=http          serves HTTP on port 8080 (GET / answers kTestGuestBody)
//   np.mode=exit np.code=N  exits with code N through isa-debug-exit (powers
//                         off when the device is absent)
//   np.mode=crash         panics (sysrq c); pvpanic reports it
//   anything else         idles

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent::testing {

inline constexpr char kTestGuestMarker[] = "np-test-guest: ready";
inline constexpr char kTestGuestBody[] = "hello from np-test-guest\n";

struct TestGuest {
  std::string kernel_path;
  std::string initrd_path;
};

// Builds the guest into `dir` (created 0755, so QEMU's user can read it), or
// reuses what an earlier call or process built there for the same kernel and
// init. Safe to call from concurrent processes. FailedPrecondition when no
// cloud kernel or static busybox is installed.
[[nodiscard]] absl::StatusOr<TestGuest> MakeTestGuest(const std::string& dir);

// A kernel boot of the guest: console on ttyS0, then `args` ("np.mode=http").
KernelBoot TestGuestBoot(const TestGuest& guest, std::string_view args);

// The guest's /init (exposed for tests).
std::string TestGuestInit(const std::vector<std::string>& modules);

}  // namespace nanoplane::agent::testing
