#pragma once

// libvirtd as the end-to-end tests see it, through virsh on qemu:///system.

#include <string>
#include <vector>

namespace nanoplane::e2e {

// The domains whose name starts with `prefix`, running or not.
std::vector<std::string> Domains(const std::string& prefix);

// A running domain's QEMU pid (from libvirt's pid file), or 0: a VM that was
// restarted has a new one.
int QemuPid(const std::string& domain);

// Destroys and undefines every domain whose name starts with `prefix`.
void RemoveDomains(const std::string& prefix);

}  // namespace nanoplane::e2e
