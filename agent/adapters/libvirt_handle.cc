#include "agent/adapters/libvirt_handle.h"

#include <libvirt/virterror.h>

#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/strings.h"

namespace nanoplane::agent {
namespace {

void IgnoreError(void*, virErrorPtr) {}

absl::StatusCode CodeFor(int code) {
  switch (code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_DOMAIN_METADATA:
      return absl::StatusCode::kNotFound;
    case VIR_ERR_OPERATION_INVALID:
      return absl::StatusCode::kFailedPrecondition;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_RPC:
    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_OPERATION_TIMEOUT:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status LibvirtError(std::string_view context) {
  virErrorPtr error = virGetLastError();
  if (error == nullptr) {
    return absl::InternalError(StrCat(context, ": unknown libvirt error"));
  }
  std::string message = error->message != nullptr ? error->message : "libvirt error";
  return absl::Status(CodeFor(error->code), StrCat(context, ": ", message));
}

bool LastLibvirtErrorIs(int code) {
  virErrorPtr error = virGetLastError();
  return error != nullptr && error->code == code;
}

void InitLibvirtEventLoop() {
  static std::once_flag once;
  std::call_once(once, [] {
    virSetErrorFunc(nullptr, IgnoreError);
    if (virEventRegisterDefaultImpl() != 0) {
      Log(LogLevel::kError, "libvirt event loop registration failed");
      return;
    }
    // Runs for the life of the process, like libvirt's own clients do: the
    // default event loop cannot be unregistered.
    std::thread([] {
      while (true) {
        if (virEventRunDefaultImpl() != 0) {
          Log(LogLevel::kWarn, "libvirt event loop iteration failed");
        }
      }
    }).detach();
  });
}

}  // namespace nanoplane::agent
