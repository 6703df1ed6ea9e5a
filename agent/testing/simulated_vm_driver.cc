#include "agent/testing/simulated_vm_driver.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/files.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent::testing {
namespace {

namespace fs = std::filesystem;

// One VM per line, tab-separated:
//   name namespace unikernel uid revision spec_hash running started_at_ns
//   memory vcpus host_address ports
// ports: comma-separated name/guest_port/protocol/host_port.
constexpr char kStateFile[] = "simulated-vms.tsv";
constexpr size_t kFields = 12;

std::string StatePath(const SimulatedVmDriverOptions& options) {
  return StrCat(options.state_dir, "/", kStateFile);
}

std::string FormatPorts(const std::vector<PortBinding>& ports) {
  std::vector<std::string> parts;
  for (const PortBinding& port : ports) {
    parts.push_back(StrCat(port.forward.name, "/", port.forward.guest_port, "/",
                           port.forward.protocol == Protocol::kUdp ? "udp" : "tcp", "/",
                           port.forward.host_port));
  }
  return StrJoin(parts, ",");
}

std::string FormatVm(const VmInfo& vm, const VmSpec& spec) {
  const InstanceIdentity& id = vm.identity;
  const bool running = vm.state == VmState::kRunning && vm.started_at.has_value();
  const auto* user = std::get_if<UserNetwork>(&spec.network);
  return StrCat(id.name, "\t", id.namespace_name, "\t", id.unikernel, "\t", id.uid, "\t",
                id.revision, "\t", id.spec_hash, "\t", running ? 1 : 0, "\t",
                running ? absl::ToUnixNanos(*vm.started_at) : 0, "\t", spec.memory_bytes, "\t",
                spec.vcpus, "\t", user ? user->host_address : "", "\t", FormatPorts(vm.ports));
}

struct SavedVm {
  VmSpec spec;
  bool running = false;
  absl::Time started_at;
};

absl::StatusOr<std::vector<PortForward>> ParsePorts(std::string_view text) {
  std::vector<PortForward> forwards;
  if (text.empty()) {
    return forwards;
  }
  for (std::string_view part : StrSplit(text, ',')) {
    std::vector<std::string_view> f = StrSplit(part, '/');
    std::optional<int64_t> guest = f.size() == 4 ? ParseInt64(f[1]) : std::nullopt;
    std::optional<int64_t> host = f.size() == 4 ? ParseInt64(f[3]) : std::nullopt;
    if (!guest || !host) {
      return absl::DataLossError(StrCat("port \"", part, "\""));
    }
    forwards.push_back({.name = std::string(f[0]),
                        .guest_port = static_cast<int>(*guest),
                        .protocol = f[2] == "udp" ? Protocol::kUdp : Protocol::kTcp,
                        .host_port = static_cast<int>(*host)});
  }
  return forwards;
}

absl::StatusOr<SavedVm> ParseVm(std::string_view line) {
  std::vector<std::string_view> f = StrSplit(line, '\t');
  if (f.size() != kFields) {
    return absl::DataLossError(StrCat("expected ", kFields, " fields in \"", line, "\""));
  }
  std::optional<int64_t> revision = ParseInt64(f[4]), started = ParseInt64(f[7]),
                         memory = ParseInt64(f[8]), vcpus = ParseInt64(f[9]);
  if (!revision || !started || !memory || !vcpus) {
    return absl::DataLossError(StrCat("bad number in \"", line, "\""));
  }
  NP_ASSIGN_OR_RETURN(std::vector<PortForward> forwards, ParsePorts(f[11]));
  SavedVm vm{.running = f[6] == "1", .started_at = absl::FromUnixNanos(*started)};
  vm.spec.identity = {.name = std::string(f[0]),
                      .namespace_name = std::string(f[1]),
                      .unikernel = std::string(f[2]),
                      .uid = std::string(f[3]),
                      .revision = *revision,
                      .spec_hash = std::string(f[5])};
  vm.spec.memory_bytes = *memory;
  vm.spec.vcpus = static_cast<int>(*vcpus);
  vm.spec.network = UserNetwork{.host_address = std::string(f[10]), .forwards = forwards};
  return vm;
}

}  // namespace

SimulatedVmDriver::SimulatedVmDriver(SimulatedVmDriverOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<SimulatedVmDriver>> SimulatedVmDriver::Open(
    SimulatedVmDriverOptions options) {
  std::error_code ec;
  fs::create_directories(options.state_dir, ec);
  if (ec) {
    return absl::InternalError(StrCat("create ", options.state_dir, ": ", ec.message()));
  }
  std::unique_ptr<SimulatedVmDriver> driver(new SimulatedVmDriver(std::move(options)));
  NP_RETURN_IF_ERROR(driver->Load());
  driver->events_thread_ = std::thread([d = driver.get()] { d->EventLoop(); });
  return driver;
}

SimulatedVmDriver::~SimulatedVmDriver() {
  {
    absl::MutexLock lock(&events_mu_);
    stopping_ = true;
  }
  if (events_thread_.joinable()) {  // not started when Open failed
    events_thread_.join();
  }
}

absl::Status SimulatedVmDriver::Load() {
  if (!fs::exists(StatePath(options_))) {
    return absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(std::string text, ReadFileToString(StatePath(options_)));
  absl::MutexLock lock(&mu_);
  for (std::string_view line : StrSplit(text, '\n')) {
    if (line.empty()) {
      continue;
    }
    NP_ASSIGN_OR_RETURN(SavedVm vm, ParseVm(line));
    fake_.SetNow(vm.started_at);
    NP_RETURN_IF_ERROR(fake_.Create(vm.spec).status());
    if (!vm.running) {
      NP_RETURN_IF_ERROR(fake_.Destroy(vm.spec.identity.name));
    }
  }
  // No watcher yet: the restore's events are dropped, as a new libvirt
  // connection sees no past events either.
  fake_.DeliverEvents();
  return absl::OkStatus();
}

absl::Status SimulatedVmDriver::Save() {
  NP_ASSIGN_OR_RETURN(std::vector<VmInfo> vms, fake_.List());
  std::string text;
  for (const VmInfo& vm : vms) {
    std::optional<VmSpec> spec = fake_.SpecOf(vm.identity.name);
    if (spec.has_value()) {
      StrAppend(&text, FormatVm(vm, *spec), "\n");
    }
  }
  const std::string path = StatePath(options_);
  const std::string temp = StrCat(path, ".tmp");
  {
    std::ofstream out(temp, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      return absl::InternalError(StrCat("write ", temp));
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    return absl::InternalError(StrCat("rename ", temp, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status SimulatedVmDriver::Change(const std::function<absl::Status()>& change) {
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    fake_.SetNow(absl::Now());
    status = change();
    if (status.ok()) {
      status = Save();
    }
  }
  absl::MutexLock lock(&events_mu_);
  events_pending_ = true;
  return status;
}

void SimulatedVmDriver::EventLoop() {
  while (true) {
    {
      absl::MutexLock lock(&events_mu_);
      events_mu_.Await(absl::Condition(
          +[](SimulatedVmDriver* d)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return d->events_pending_ || d->stopping_; },
          this));
      if (stopping_) {
        return;
      }
      events_pending_ = false;
    }
    fake_.DeliverEvents();
  }
}

absl::StatusOr<VmInfo> SimulatedVmDriver::Create(const VmSpec& spec) {
  VmInfo info;
  NP_RETURN_IF_ERROR(Change([&]() -> absl::Status {
    NP_ASSIGN_OR_RETURN(info, fake_.Create(spec));
    return absl::OkStatus();
  }));
  return info;
}

absl::Status SimulatedVmDriver::Stop(std::string_view name, absl::Duration timeout) {
  return Change([&] { return fake_.Stop(name, timeout); });
}

absl::Status SimulatedVmDriver::Destroy(std::string_view name) {
  return Change([&] { return fake_.Destroy(name); });
}

absl::Status SimulatedVmDriver::Delete(std::string_view name, const DeleteOptions& options) {
  return Change([&] { return fake_.Delete(name, options); });
}

absl::StatusOr<std::vector<VmInfo>> SimulatedVmDriver::List() { return fake_.List(); }

absl::StatusOr<VmInfo> SimulatedVmDriver::Get(std::string_view name) { return fake_.Get(name); }

absl::Status SimulatedVmDriver::Watch(VmEventCallback callback) {
  return fake_.Watch(std::move(callback));
}

bool SimulatedVmDriver::Booted(int host_port) {
  absl::StatusOr<std::vector<VmInfo>> vms = fake_.List();
  if (!vms.ok()) {
    return false;
  }
  const absl::Time now = absl::Now();
  for (const VmInfo& vm : *vms) {
    for (const PortBinding& port : vm.ports) {
      if (port.forward.host_port == host_port) {
        return vm.state == VmState::kRunning && vm.started_at.has_value() &&
               now - *vm.started_at >= options_.boot_time;
      }
    }
  }
  return false;
}

}  // namespace nanoplane::agent::testing
