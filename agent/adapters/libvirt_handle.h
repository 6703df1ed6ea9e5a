#pragma once

// Small owners for libvirt objects and the translation of virError into
// absl::Status at the adapter boundary.

#include <libvirt/libvirt.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace nanoplane::agent {

struct DomainFree {
  void operator()(virDomainPtr domain) const { virDomainFree(domain); }
};
using DomainHandle = std::unique_ptr<virDomain, DomainFree>;

struct ConnectClose {
  void operator()(virConnectPtr conn) const { virConnectClose(conn); }
};
using ConnectHandle = std::unique_ptr<virConnect, ConnectClose>;

// The last libvirt error of this thread as a status with `context` first
// ("define domain web-0: ..."): NotFound for an unknown domain,
// FailedPrecondition for an operation invalid in the domain's state,
// Unavailable for a lost connection, Internal otherwise.
absl::Status LibvirtError(std::string_view context);

// True when the last libvirt error of this thread has `code`.
bool LastLibvirtErrorIs(int code);

// Once per process: silences libvirt's default error printing, registers its
// default event loop and starts a thread that runs it. Must precede
// virConnectOpen for connections to deliver events and keepalives.
void InitLibvirtEventLoop();

}  // namespace nanoplane::agent
