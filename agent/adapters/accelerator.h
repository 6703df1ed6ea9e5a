#pragma once

// Chooses between KVM and QEMU's TCG for this host.
//
// KVM only when all three hold: /dev/kvm exists, the CPU flags show vmx or svm,
// and a probe guest actually runs under KVM. The last check matters: a nested,
// paravirtual /dev/kvm without vmx/svm accepts guests that then hang or fail
// their first XGETBV. Everything else gets TCG, which is slow but always works.

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent {

enum class AcceleratorMode { kAuto, kKvm, kTcg };

// "auto", "kvm" or "tcg"; InvalidArgument otherwise.
absl::StatusOr<AcceleratorMode> ParseAcceleratorMode(std::string_view text);

struct AcceleratorFacts {
  bool dev_kvm = false;     // /dev/kvm exists
  bool virt_flags = false;  // /proc/cpuinfo lists vmx or svm
};

// Runs a probe guest under KVM; true when it completed.
using KvmProbe = std::function<bool()>;

// Pure: the decision from the facts. The probe runs only when the facts allow
// KVM at all. An explicit mode overrides detection.
Accelerator ChooseAccelerator(AcceleratorMode mode, const AcceleratorFacts& facts,
                              const KvmProbe& probe);

// Reads the facts from the host (paths are parameters for tests).
AcceleratorFacts ReadAcceleratorFacts(const std::string& dev_kvm = "/dev/kvm",
                                      const std::string& cpuinfo = "/proc/cpuinfo");

// Boots a 64 KiB firmware that checks XSAVE, executes XGETBV (where Nanos
// stops on a broken KVM) and leaves through isa-debug-exit. At most ~5 s.
// `accel` is a QEMU accelerator name; tests run the same firmware under "tcg".
bool ProbeKvm(const std::string& qemu_binary = "qemu-system-x86_64",
              const std::string& accel = "kvm");

// ChooseAccelerator with the host's facts and ProbeKvm.
Accelerator DetectAccelerator(AcceleratorMode mode = AcceleratorMode::kAuto);

}  // namespace nanoplane::agent
