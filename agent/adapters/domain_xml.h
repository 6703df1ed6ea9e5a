#pragma once

// Renders a libvirt domain from a VmSpec and the driver's decisions. Pure: the
// same inputs give the same bytes (golden-tested in testdata/).
//
// Shape, and why:
// - type kvm or qemu (TCG); machine q35 (libvirt refuses `microvm`); no <cpu>
//   element, so no host-passthrough (fails on paravirtual KVM hosts).
// - <features><acpi/> always: without it libvirt passes -no-acpi and neither
//   ACPI shutdown nor guest power-off work.
// - serial console appended to a file; a virtio disk (the instance's overlay).
// - user networking through <qemu:commandline> (-netdev user with hostfwd),
//   because Debian's libvirt lacks passt and so <portForward>; restrict=on keeps
//   the guest from reaching anything but its forwards.
// - an ISA pvpanic device with on_crash=destroy, so a guest panic stops the
//   domain with reason "crashed" instead of hanging.
// - on_poweroff and on_reboot destroy: a guest that stops is restarted by the
//   agent's restart policy, not by QEMU.

#include <string>
#include <vector>

#include "agent/ports/vm_driver.h"

namespace nanoplane::agent {

struct DomainPlan {
  std::string uuid;       // empty: libvirt assigns one (only for a new domain)
  std::string disk_path;  // the instance's overlay; empty: no disk
  std::string console_log;
  std::string state_dir;
  std::vector<PortBinding> ports;  // user networking, host ports resolved
  std::string emulator;            // empty: libvirt's default QEMU
};

// The guest PCI slot of the user-mode NIC, which libvirt does not manage: a
// slot its automatic addressing (from 0x01 upward) leaves free.
inline constexpr char kUserNicAddress[] = "bus=pcie.0,addr=0x10";

std::string RenderDomainXml(const VmSpec& spec, const DomainPlan& plan);

// The -netdev value for user networking with `ports` forwarded.
std::string UserNetdevArgument(const std::vector<PortBinding>& ports);

}  // namespace nanoplane::agent
