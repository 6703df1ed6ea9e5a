// LibvirtVmDriver: creating, stopping and removing domains.

#include "agent/adapters/libvirt_vm_driver.h"

#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "absl/strings/str_format.h"
#include "agent/adapters/domain_metadata.h"
#include "agent/adapters/domain_xml.h"
#include "agent/adapters/exit_status.h"
#include "agent/adapters/subprocess.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent {
namespace {

namespace fs = std::filesystem;

constexpr int kFirstHostPort = 30000;
constexpr int kLastHostPort = 32767;

// QEMU runs as libvirt's unprivileged user: it must traverse our directories.
absl::Status MakeDirectory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(StrCat("create ", dir.string(), ": ", ec.message()));
  }
  chmod(dir.c_str(), 0755);
  return absl::OkStatus();
}

absl::Status Validate(const VmSpec& spec) {
  const std::string& name = spec.identity.name;
  if (!IsValidVmName(name)) {
    return absl::InvalidArgumentError(StrCat("vm name \"", name, "\" is not a DNS label"));
  }
  if (spec.memory_bytes < (16 << 20) || spec.vcpus < 1) {
    return absl::InvalidArgumentError(StrCat("vm ", name, ": needs >= 16 MiB and >= 1 vCPU"));
  }
  std::error_code ec;
  if (const auto* kernel = std::get_if<KernelBoot>(&spec.boot)) {
    if (!fs::exists(kernel->kernel_path, ec)) {
      return absl::InvalidArgumentError(
          StrCat("vm ", name, ": kernel ", kernel->kernel_path, " does not exist"));
    }
  } else if (spec.base_image.empty()) {
    return absl::InvalidArgumentError(StrCat("vm ", name, ": BIOS boot needs a disk image"));
  }
  if (!spec.base_image.empty() && !fs::exists(spec.base_image, ec)) {
    return absl::InvalidArgumentError(
        StrCat("vm ", name, ": image ", spec.base_image, " does not exist"));
  }
  return absl::OkStatus();
}

fs::path Canonical(const std::string& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path) : canonical;
}

// QEMU runs as libvirt's unprivileged user: every directory above the state
// directory must let others through, or QEMU cannot open the disks it is given
// (libvirt then says only "Permission denied" about the emulator).
absl::Status CheckReachableByQemu(const fs::path& state_dir) {
  std::error_code ec;
  for (fs::path dir = fs::weakly_canonical(state_dir, ec).parent_path();
       !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
    struct stat info {};
    if (stat(dir.c_str(), &info) == 0 && (info.st_mode & S_IXOTH) == 0) {
      return absl::FailedPreconditionError(StrCat(
          "state directory ", state_dir.string(), ": QEMU runs as an unprivileged user and ",
          "cannot enter ", dir.string(), " (mode ", absl::StrFormat("%04o", info.st_mode & 07777),
          "); allow it (chmod o+x) or choose another state directory"));
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<HostPortAllocator> DefaultPorts() {
  // A random starting point keeps agents that start together apart.
  std::random_device random;
  const int span = kLastHostPort - kFirstHostPort + 1;
  return std::make_shared<HostPortAllocator>(kFirstHostPort, kLastHostPort,
                                             HostPortAllocator::BindCheck,
                                             kFirstHostPort + static_cast<int>(random() % span));
}

}  // namespace

LibvirtVmDriver::LibvirtVmDriver(Options options)
    : options_(std::move(options)),
      ports_(options_.ports ? options_.ports : DefaultPorts()),
      state_root_(Canonical(options_.state_dir)) {}

bool LibvirtVmDriver::InStateDir(const DomainMetadata& md) const {
  const fs::path dir = Canonical(md.state_dir);
  return !md.state_dir.empty() && dir.parent_path() == state_root_ &&
         dir.filename() == md.identity.name;
}

LibvirtVmDriver::~LibvirtVmDriver() {
  // The dispatcher calls into this object: stop it before anything else goes.
  events_.reset();
}

absl::StatusOr<std::unique_ptr<LibvirtVmDriver>> LibvirtVmDriver::Open(Options options) {
  InitLibvirtEventLoop();
  std::unique_ptr<LibvirtVmDriver> driver(new LibvirtVmDriver(std::move(options)));
  NP_RETURN_IF_ERROR(MakeDirectory(driver->options_.state_dir));
  if (driver->options_.uri == "qemu:///system") {
    NP_RETURN_IF_ERROR(CheckReachableByQemu(driver->options_.state_dir));
  }
  if (driver->options_.exit_status_wrapper) {
    driver->emulator_ = StrCat(driver->options_.state_dir, "/bin/nanoplane-qemu");
    NP_RETURN_IF_ERROR(MakeDirectory(fs::path(driver->emulator_).parent_path()));
    NP_RETURN_IF_ERROR(InstallQemuWrapper(driver->emulator_, driver->options_.qemu_binary));
  }
  NP_ASSIGN_OR_RETURN(std::vector<VmInfo> adopted, driver->List());
  for (const VmInfo& vm : adopted) {
    // Ports of adopted domains may already be held when drivers share an
    // allocator; either way they are taken.
    (void)driver->ReservePorts(vm.ports);
  }
  return driver;
}

absl::Status LibvirtVmDriver::ReservePorts(const std::vector<PortBinding>& ports) {
  for (size_t i = 0; i < ports.size(); ++i) {
    const PortBinding& port = ports[i];
    absl::Status status =
        ports_->Reserve(port.host_address, port.forward.protocol, port.forward.host_port);
    if (!status.ok()) {
      ReleasePorts(std::vector<PortBinding>(ports.begin(), ports.begin() + i));
      return status;
    }
  }
  return absl::OkStatus();
}

void LibvirtVmDriver::ReleasePorts(const std::vector<PortBinding>& ports) {
  for (const PortBinding& port : ports) {
    ports_->Release(port.host_address, port.forward.protocol, port.forward.host_port);
  }
}

absl::StatusOr<std::vector<PortBinding>> LibvirtVmDriver::AllocatePorts(const VmSpec& spec) {
  std::vector<PortBinding> bindings;
  const auto* user = std::get_if<UserNetwork>(&spec.network);
  if (user == nullptr) {
    return bindings;
  }
  for (const PortForward& forward : user->forwards) {
    PortBinding binding{.forward = forward, .host_address = user->host_address};
    absl::Status status;
    if (forward.host_port != 0) {
      status = ports_->Reserve(user->host_address, forward.protocol, forward.host_port);
    } else {
      absl::StatusOr<int> port = ports_->Allocate(user->host_address, forward.protocol);
      status = port.status();
      binding.forward.host_port = port.value_or(0);
    }
    if (!status.ok()) {
      ReleasePorts(bindings);
      return Annotate(status, StrCat("allocate host ports for ", spec.identity.name));
    }
    bindings.push_back(std::move(binding));
  }
  return bindings;
}

// For a domain of the same name that is ours and stopped: its uuid (libvirt
// refuses a redefinition without it) after releasing its ports. "" when new.
absl::StatusOr<std::string> LibvirtVmDriver::PrepareExisting(const VmSpec& spec) {
  const std::string& name = spec.identity.name;
  absl::StatusOr<std::pair<DomainHandle, DomainMetadata>> found = Lookup(name);
  if (absl::IsNotFound(found.status())) {
    NP_ASSIGN_OR_RETURN(ConnectHandle conn, Connection());
    DomainHandle other(virDomainLookupByName(conn.get(), name.c_str()));
    if (other != nullptr) {
      return absl::AlreadyExistsError(
          StrCat("create domain ", name, ": a domain of that name exists and is not nanoplane's"));
    }
    return std::string();
  }
  NP_RETURN_IF_ERROR(found.status());
  if (virDomainIsActive(found->first.get()) == 1) {
    return absl::AlreadyExistsError(StrCat("create domain ", name, ": it is running"));
  }
  ReleasePorts(found->second.ports);
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virDomainGetUUIDString(found->first.get(), uuid) != 0) {
    return LibvirtError(StrCat("get uuid of domain ", name));
  }
  return std::string(uuid);
}

// A fresh qcow2 overlay over the base image: every boot starts from the image
// (Nanos writes its log into the disk, so instances never share one).
absl::StatusOr<std::string> LibvirtVmDriver::PrepareDisk(const VmSpec& spec,
                                                         const std::string& dir) {
  if (spec.base_image.empty()) {
    return std::string();
  }
  const std::string overlay = StrCat(dir, "/disk.qcow2");
  std::error_code ec;
  fs::remove(overlay, ec);
  const std::string base = fs::absolute(spec.base_image).string();
  NP_ASSIGN_OR_RETURN(CommandResult result, RunCommand({options_.qemu_img, "create", "-q", "-f",
                                                        "qcow2", "-F", "raw", "-b", base, overlay},
                                                       absl::Seconds(30)));
  if (result.exit_code != 0) {
    return absl::InternalError(
        StrCat("create overlay for ", spec.identity.name, ": qemu-img: ", result.output));
  }
  return overlay;
}

absl::Status LibvirtVmDriver::DefineAndStart(const VmSpec& spec, const std::string& xml) {
  const std::string& name = spec.identity.name;
  NP_ASSIGN_OR_RETURN(ConnectHandle conn, Connection());
  DomainHandle domain(virDomainDefineXML(conn.get(), xml.c_str()));
  if (domain == nullptr) {
    return LibvirtError(StrCat("define domain ", name));
  }
  Remember(name, true);
  if (virDomainCreate(domain.get()) != 0) {
    return LibvirtError(StrCat("start domain ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<VmInfo> LibvirtVmDriver::Create(const VmSpec& spec) {
  NP_RETURN_IF_ERROR(Validate(spec));
  const std::string& name = spec.identity.name;
  NP_ASSIGN_OR_RETURN(std::string uuid, PrepareExisting(spec));
  const std::string dir = StrCat(options_.state_dir, "/", name);
  NP_RETURN_IF_ERROR(MakeDirectory(dir));
  std::string console_log = spec.console_log;
  if (console_log.empty()) {
    console_log = StrCat(options_.state_dir, "/logs/", name, ".log");
  }
  NP_RETURN_IF_ERROR(MakeDirectory(fs::path(console_log).parent_path()));
  NP_ASSIGN_OR_RETURN(std::string disk, PrepareDisk(spec, dir));
  NP_ASSIGN_OR_RETURN(std::vector<PortBinding> ports, AllocatePorts(spec));
  const DomainPlan plan{.uuid = uuid,
                        .disk_path = disk,
                        .console_log = console_log,
                        .state_dir = dir,
                        .ports = ports,
                        .emulator = emulator_};
  // On a failed start the domain stays defined, holding its ports, so that
  // List shows it (stopped, reason failed) until it is deleted.
  NP_RETURN_IF_ERROR(DefineAndStart(spec, RenderDomainXml(spec, plan)));
  Log(LogLevel::kInfo, "started vm",
      {{"instance", name}, {"accelerator", std::string(ToString(spec.accelerator))}});
  return Get(name);
}

absl::Status LibvirtVmDriver::Stop(std::string_view name, absl::Duration timeout) {
  NP_ASSIGN_OR_RETURN(auto found, Lookup(name));
  virDomainPtr domain = found.first.get();
  if (virDomainIsActive(domain) != 1) {
    return absl::OkStatus();
  }
  if (virDomainShutdownFlags(domain, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) != 0 &&
      virDomainIsActive(domain) == 1) {
    return LibvirtError(StrCat("shut down domain ", name));
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (virDomainIsActive(domain) != 1) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  Log(LogLevel::kInfo, "vm ignored ACPI shutdown; destroying", {{"instance", std::string(name)}});
  return Destroy(name);
}

absl::Status LibvirtVmDriver::Destroy(std::string_view name) {
  NP_ASSIGN_OR_RETURN(auto found, Lookup(name));
  if (virDomainIsActive(found.first.get()) != 1) {
    return absl::OkStatus();
  }
  if (virDomainDestroy(found.first.get()) != 0 && virDomainIsActive(found.first.get()) == 1) {
    return LibvirtError(StrCat("destroy domain ", name));
  }
  return absl::OkStatus();
}

absl::Status LibvirtVmDriver::Delete(std::string_view name, const DeleteOptions& options) {
  NP_RETURN_IF_ERROR(Destroy(name));
  NP_ASSIGN_OR_RETURN(auto found, Lookup(name));
  const DomainMetadata& md = found.second;
  if (virDomainUndefine(found.first.get()) != 0) {
    return LibvirtError(StrCat("undefine domain ", name));
  }
  ReleasePorts(md.ports);
  std::error_code ec;
  // Lookup found it in our state directory (InStateDir), so this removes only
  // ours.
  fs::remove_all(md.state_dir, ec);
  if (options.remove_console_log && !md.console_log.empty()) {
    fs::remove(md.console_log, ec);
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::agent
