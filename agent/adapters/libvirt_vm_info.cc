// LibvirtVmDriver: the connection, finding our domains and describing them.

#include <libvirt/virterror.h>
#include <sys/stat.h>

#include <filesystem>

#include "agent/adapters/domain_metadata.h"
#include "agent/adapters/exit_status.h"
#include "agent/adapters/guest_address.h"
#include "agent/adapters/libvirt_vm_driver.h"
#include "common/files.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent {
namespace {

constexpr size_t kDomainLogTail = 64 * 1024;

std::optional<absl::Time> FileTime(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return absl::TimeFromTimespec(st.st_mtim);
}

// The neighbour table's entry for one of the domain's NICs.
std::string GuestAddressFromArp(virDomainPtr domain) {
  char* xml = virDomainGetXMLDesc(domain, 0);
  if (xml == nullptr) {
    return "";
  }
  std::vector<std::string> macs = MacAddresses(xml);
  free(xml);
  return Ipv4ForMac(ReadFileToString("/proc/net/arp").value_or(""), macs);
}

// The first IPv4 address known for a bridged guest: from the libvirt
// network's DHCP leases, else libvirt's ARP source, else ours.
std::string GuestAddress(virDomainPtr domain) {
  for (unsigned int source :
       {VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP}) {
    virDomainInterfacePtr* ifaces = nullptr;
    int count = virDomainInterfaceAddresses(domain, &ifaces, source, 0);
    std::string address;
    for (int i = 0; i < count; ++i) {
      for (unsigned int a = 0; a < ifaces[i]->naddrs && address.empty(); ++a) {
        if (ifaces[i]->addrs[a].type == VIR_IP_ADDR_TYPE_IPV4) {
          address = ifaces[i]->addrs[a].addr;
        }
      }
      virDomainInterfaceFree(ifaces[i]);
    }
    free(ifaces);
    if (!address.empty()) {
      return address;
    }
  }
  return GuestAddressFromArp(domain);
}

}  // namespace

absl::StatusOr<ConnectHandle> LibvirtVmDriver::Connection() {
  absl::MutexLock lock(&mu_);
  if (conn_ == nullptr || virConnectIsAlive(conn_.get()) != 1) {
    conn_.reset(virConnectOpen(options_.uri.c_str()));
    if (conn_ == nullptr) {
      return LibvirtError(StrCat("connect to ", options_.uri));
    }
    // Keepalives let a dead libvirtd be noticed; the event loop answers them.
    virConnectSetKeepAlive(conn_.get(), 5, 3);
    if (events_ != nullptr) {
      NP_RETURN_IF_ERROR(events_->Subscribe(conn_.get()));
    }
  }
  virConnectRef(conn_.get());
  return ConnectHandle(conn_.get());
}

absl::StatusOr<std::pair<DomainHandle, DomainMetadata>> LibvirtVmDriver::Lookup(
    std::string_view name) {
  const std::string context = StrCat("look up domain ", name);
  NP_ASSIGN_OR_RETURN(ConnectHandle conn, Connection());
  DomainHandle domain(virDomainLookupByName(conn.get(), std::string(name).c_str()));
  if (domain == nullptr) {
    return LibvirtError(context);
  }
  char* xml = virDomainGetMetadata(domain.get(), VIR_DOMAIN_METADATA_ELEMENT, kMetadataNamespace,
                                   VIR_DOMAIN_AFFECT_CURRENT);
  if (xml == nullptr) {
    if (LastLibvirtErrorIs(VIR_ERR_NO_DOMAIN_METADATA)) {
      return absl::NotFoundError(StrCat(context, ": not a nanoplane domain"));
    }
    return LibvirtError(context);
  }
  absl::StatusOr<DomainMetadata> metadata = ParseMetadata(xml);
  free(xml);
  if (!metadata.ok()) {
    return absl::NotFoundError(StrCat(context, ": ", metadata.status().message()));
  }
  // Agents on one host (or tests beside an agent) each see only their own.
  if (!InStateDir(*metadata)) {
    return absl::NotFoundError(
        StrCat(context, ": belongs to the agent with state dir ", metadata->state_dir));
  }
  return std::make_pair(std::move(domain), *std::move(metadata));
}

absl::StatusOr<VmInfo> LibvirtVmDriver::Describe(virDomainPtr domain, const DomainMetadata& md) {
  int state = 0;
  int reason = 0;
  if (virDomainGetState(domain, &state, &reason, 0) != 0) {
    return LibvirtError(StrCat("get state of domain ", md.identity.name));
  }
  VmInfo info{.identity = md.identity,
              .ports = md.ports,
              .accelerator = md.accelerator,
              .console_log = md.console_log};
  switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
    case VIR_DOMAIN_SHUTDOWN:  // shutting down, still running
      info.state = VmState::kRunning;
      break;
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
      // A panicked guest stays paused until libvirt carries out on_crash.
      info.state = reason == VIR_DOMAIN_PAUSED_CRASHED ? VmState::kCrashed : VmState::kPaused;
      info.stop_reason =
          reason == VIR_DOMAIN_PAUSED_CRASHED ? StopReason::kCrashed : StopReason::kNone;
      break;
    case VIR_DOMAIN_CRASHED:
      info.state = VmState::kCrashed;
      info.stop_reason = StopReason::kCrashed;
      break;
    default: {
      const std::string log_path = StrCat(options_.domain_log_dir, "/", md.identity.name, ".log");
      StopClassification stop = ClassifyShutoff(
          reason, md.debug_exit, ParseDomainLog(ReadFileTail(log_path, kDomainLogTail)));
      info.state = stop.reason == StopReason::kCrashed ? VmState::kCrashed : VmState::kShutOff;
      info.stop_reason = stop.reason;
      info.exit_code = stop.exit_code;
    }
  }
  if (info.state == VmState::kRunning || info.state == VmState::kPaused) {
    info.started_at = FileTime(StrCat(options_.pid_dir, "/", md.identity.name, ".pid"));
    if (md.bridged) {
      info.address = GuestAddress(domain);
    }
  }
  return info;
}

absl::StatusOr<VmInfo> LibvirtVmDriver::Get(std::string_view name) {
  NP_ASSIGN_OR_RETURN(auto found, Lookup(name));
  Remember(found.second.identity.name, true);
  return Describe(found.first.get(), found.second);
}

absl::StatusOr<std::vector<VmInfo>> LibvirtVmDriver::List() {
  NP_ASSIGN_OR_RETURN(ConnectHandle conn, Connection());
  virDomainPtr* domains = nullptr;
  int count = virConnectListAllDomains(conn.get(), &domains, 0);
  if (count < 0) {
    return LibvirtError("list domains");
  }
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.emplace_back(virDomainGetName(domains[i]));
    virDomainFree(domains[i]);
  }
  free(domains);
  std::sort(names.begin(), names.end());
  std::vector<VmInfo> infos;
  for (const std::string& name : names) {
    absl::StatusOr<VmInfo> info = Get(name);
    // Not ours, or undefined since the listing: either way not listed.
    if (info.ok()) {
      infos.push_back(*std::move(info));
    } else if (!absl::IsNotFound(info.status())) {
      return info.status();
    }
  }
  return infos;
}

void LibvirtVmDriver::Remember(const std::string& name, bool ours) {
  absl::MutexLock lock(&mu_);
  if (ours) {
    known_.insert(name);
  } else {
    known_.erase(name);
  }
}

std::optional<VmEvent> LibvirtVmDriver::Resolve(const RawDomainEvent& raw) {
  std::optional<VmEventType> type = EventTypeFor(raw.event);
  if (!type.has_value()) {
    return std::nullopt;
  }
  VmEvent event{.name = raw.name, .type = *type};
  if (*type == VmEventType::kUndefined) {
    absl::MutexLock lock(&mu_);
    return known_.erase(raw.name) > 0 ? std::optional<VmEvent>(event) : std::nullopt;
  }
  // The wrapper writes QEMU's status just after QEMU exits, which can be after
  // libvirt's stop event: give it a moment when the stop looks like a crash.
  for (int attempt = 0; attempt < 10; ++attempt) {
    absl::StatusOr<std::pair<DomainHandle, DomainMetadata>> found = Lookup(raw.name);
    if (!found.ok()) {
      return std::nullopt;
    }
    Remember(raw.name, true);
    absl::StatusOr<VmInfo> info = Describe(found->first.get(), found->second);
    if (!info.ok()) {
      return std::nullopt;
    }
    event.stop_reason = info->stop_reason;
    event.exit_code = info->exit_code;
    if (*type != VmEventType::kStopped || info->stop_reason != StopReason::kCrashed ||
        !found->second.debug_exit) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (*type != VmEventType::kStopped) {
    event.stop_reason = StopReason::kNone;
    event.exit_code.reset();
  }
  return event;
}

absl::Status LibvirtVmDriver::Watch(VmEventCallback callback) {
  {
    absl::MutexLock lock(&mu_);
    watcher_ = std::move(callback);
  }
  if (events_ == nullptr) {
    auto events = std::make_unique<LibvirtEventStream>(
        [this](const RawDomainEvent& raw) { return Resolve(raw); },
        [this](const VmEvent& event) {
          VmEventCallback watcher;
          {
            absl::MutexLock lock(&mu_);
            watcher = watcher_;
          }
          if (watcher) {
            watcher(event);
          }
        });
    absl::MutexLock lock(&mu_);
    events_ = std::move(events);
  }
  NP_ASSIGN_OR_RETURN(ConnectHandle conn, Connection());
  return events_->Subscribe(conn.get());
}

}  // namespace nanoplane::agent
