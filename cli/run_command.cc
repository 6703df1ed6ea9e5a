#include "cli/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "agent/adapters/accelerator.h"
#include "agent/adapters/libvirt_vm_driver.h"
#include "agent/app/nanos_image_source.h"
#include "agent/app/vm_spec.h"
#include "cli/image_tools.h"
#include "common/quantity.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;
using agent::VmInfo;
using agent::VmState;

struct RunFlags {
  ImageContentFlags image;
  std::vector<std::string> ports;
  std::string memory = "256Mi";
  int cpus = 1;
  std::string accel = "auto";
  std::string bind_address = "127.0.0.1";
  std::string state_dir = "/var/lib/nanoplane/run";
  bool direct_boot = false;
  ImageToolOptions tools;
};

std::atomic<bool> interrupted{false};

void OnSignal(int) { interrupted = true; }

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

std::string Absolute(const std::string& path) { return fs::absolute(path).lexically_normal(); }

// The image spec the flags describe, as `nanoplane build` reads them; local
// paths become absolute sources.
absl::Status FillImage(const ImageContentFlags& flags, v1alpha1::ImageSpec& spec) {
  NP_ASSIGN_OR_RETURN(image::BuildRequest request, RequestFromFlags(flags));
  spec.set_program(request.program);
  if (!request.program_source.empty()) {
    spec.mutable_source()->set_path(Absolute(request.program_source));
  }
  for (const std::string& arg : request.args) {
    spec.add_args(arg);
  }
  for (const auto& [name, value] : request.env) {
    v1alpha1::EnvVar* env = spec.add_env();
    env->set_name(name);
    env->set_value(value);
  }
  for (const image::FileInput& input : request.files) {
    v1alpha1::FileSpec* file = spec.add_files();
    file->set_path(input.image_path);
    file->mutable_source()->set_path(Absolute(input.host_path));
  }
  for (const std::string& dir : request.dirs) {
    spec.add_dirs(dir);
  }
  for (const image::MapDirInput& input : request.map_dirs) {
    v1alpha1::MapDir* map = spec.add_map_dirs();
    map->set_source(Absolute(input.host_path));
    map->set_path(input.image_path);
  }
  for (const std::string& package : flags.packages) {
    spec.add_packages()->mutable_source()->set_path(Absolute(package));
  }
  spec.mutable_nanos()->set_version(request.nanos_version);
  for (const std::string& klib : request.klibs) {
    spec.mutable_nanos()->add_klibs(klib);
  }
  return absl::OkStatus();
}

// "run-<program>-<random>": a DNS label.
std::string InstanceName(const std::string& program) {
  std::string base;
  for (char c : fs::path(program).filename().string()) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    base += std::isalnum(static_cast<unsigned char>(lower)) ? lower : '-';
  }
  base = base.substr(0, 40);
  while (!base.empty() && base.back() == '-') {
    base.pop_back();
  }
  std::random_device random;
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "%06x", random() & 0xffffff);
  return StrCat("run-", base.empty() ? "program" : base, "-", suffix);
}

absl::StatusOr<agent::v1::InstanceAssignment> MakeInstance(const RunFlags& flags) {
  agent::v1::InstanceAssignment instance;
  const std::string name = InstanceName(flags.image.program);
  agent::v1::InstanceIdentity* id = instance.mutable_identity();
  id->set_name(name);
  id->set_namespace_("run");
  id->set_unikernel(fs::path(flags.image.program).filename().string());
  id->set_uid(name);
  id->set_revision(1);
  v1alpha1::UnikernelTemplate* t = instance.mutable_template_();
  NP_RETURN_IF_ERROR(FillImage(flags.image, *t->mutable_image()));
  NP_ASSIGN_OR_RETURN(int64_t memory, ParseQuantity(flags.memory));
  t->mutable_resources()->set_memory(memory);
  t->mutable_resources()->set_cpus(flags.cpus);
  for (const std::string& port : flags.ports) {
    // PORT, or HOSTPORT:PORT (the host side is applied to the VmSpec).
    std::optional<int64_t> guest = ParseInt64(port.substr(port.find(':') + 1));
    if (!guest.has_value() || *guest < 1 || *guest > 65535) {
      return absl::InvalidArgumentError(StrCat("-p \"", port, "\": expected PORT or HOST:PORT"));
    }
    t->add_ports()->set_port(static_cast<int32_t>(*guest));
  }
  return instance;
}

void ApplyHostPorts(const std::vector<std::string>& ports, agent::VmSpec& spec) {
  auto* user = std::get_if<agent::UserNetwork>(&spec.network);
  for (size_t i = 0; user != nullptr && i < ports.size() && i < user->forwards.size(); ++i) {
    if (size_t colon = ports[i].find(':'); colon != std::string::npos) {
      user->forwards[i].host_port =
          static_cast<int>(ParseInt64(ports[i].substr(0, colon)).value_or(0));
    }
  }
}

// QEMU runs as libvirt's user, which cannot reach a cache under a private
// home: the VM boots from a hard link (else a sparse copy) in the run dir.
absl::StatusOr<std::string> ReachableImage(const std::string& image, const std::string& dir) {
  fs::create_directories(dir);
  const std::string target = StrCat(dir, "/", fs::path(image).filename().string());
  std::error_code ec;
  fs::remove(target, ec);
  fs::create_hard_link(image, target, ec);
  if (ec) {
    NP_RETURN_IF_ERROR(CopySparse(image, target));
  }
  return target;
}

// Copies what the console log gains to stdout until `done`, then the rest.
void TailConsole(const std::string& path, const std::atomic<bool>& done) {
  int64_t offset = 0;
  std::string buffer(64 << 10, '\0');
  while (true) {
    const bool last = done.load();
    if (FILE* file = std::fopen(path.c_str(), "rb"); file != nullptr) {
      std::fseek(file, offset, SEEK_SET);
      size_t n;
      while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
        std::fwrite(buffer.data(), 1, n, stdout);
        offset += static_cast<int64_t>(n);
      }
      std::fclose(file);
      std::fflush(stdout);
    }
    if (last) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

// The process exit code for how the guest ended.
int ExitCodeOf(const VmInfo& vm) {
  switch (vm.stop_reason) {
    case agent::StopReason::kExited:
      return vm.exit_code.value_or(0);
    case agent::StopReason::kShutdown:
      return 0;
    case agent::StopReason::kCrashed:
      std::fprintf(stderr, "nanoplane: the guest crashed\n");
      return 1;
    default:
      std::fprintf(stderr, "nanoplane: the VM stopped (%s)\n", StopReasonName(vm.stop_reason));
      return 1;
  }
}

// Boots `spec`, shows its console until the guest ends or Ctrl-C, removes it.
int Boot(agent::LibvirtVmDriver& driver, const agent::VmSpec& spec) {
  const std::string& name = spec.identity.name;
  absl::StatusOr<VmInfo> created = driver.Create(spec);
  if (!created.ok()) {
    (void)driver.Delete(name, {.remove_console_log = true});
    return Fail(created.status());
  }
  for (const agent::PortBinding& port : created->ports) {
    std::printf("nanoplane: port %d -> http://%s:%d\n", port.forward.guest_port,
                port.host_address.c_str(), port.forward.host_port);
  }
  std::fflush(stdout);
  std::atomic<bool> done{false};
  std::thread tail([&] { TailConsole(spec.console_log, done); });
  VmInfo last = *created;
  while (!interrupted) {
    absl::StatusOr<VmInfo> vm = driver.Get(name);
    if (!vm.ok() || vm->state != VmState::kRunning) {
      last = vm.value_or(last);
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (interrupted) {
    (void)driver.Destroy(name);
  }
  // QEMU's exit status reaches the driver just after libvirt reports the stop;
  // until then an exit through isa-debug-exit looks like a crash.
  for (int i = 0; i < 20 && !interrupted && last.stop_reason == agent::StopReason::kCrashed; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    last = driver.Get(name).value_or(last);
  }
  done = true;
  tail.join();
  (void)driver.Delete(name, {.remove_console_log = true});
  return interrupted ? 130 : ExitCodeOf(last);
}

int RunRun(const RunFlags& flags) {
  absl::StatusOr<agent::v1::InstanceAssignment> instance = MakeInstance(flags);
  absl::StatusOr<agent::AcceleratorMode> mode = agent::ParseAcceleratorMode(flags.accel);
  if (!instance.ok() || !mode.ok()) {
    return Fail(instance.ok() ? mode.status() : instance.status());
  }
  const std::string cache = CacheDir(flags.tools);
  auto releases = MakeReleaseStore(flags.tools);
  if (!releases.ok()) {
    return Fail(releases.status());
  }
  image::ImageCache images({.dir = cache + "/images"});
  image::ImageBuilder builder(**releases, images);
  agent::app::ImageBuildFn build =
      agent::app::MakeNanosImageBuild(builder, images, nullptr,
                                      {.artifact_dir = cache + "/downloads",
                                       .package_dir = cache + "/packages",
                                       .allow_local_paths = true,
                                       .direct_boot = flags.direct_boot});
  absl::StatusOr<agent::app::AgentImage> image = build(*instance);
  if (!image.ok()) {
    return Fail(image.status());
  }
  const std::string name = instance->identity().name();
  absl::StatusOr<std::string> disk =
      ReachableImage(image->disk, StrCat(flags.state_dir, "/images"));
  if (!disk.ok()) {
    return Fail(disk.status());
  }
  image->disk = *disk;
  auto driver = agent::LibvirtVmDriver::Open({.state_dir = flags.state_dir + "/vms"});
  if (!driver.ok()) {
    return Fail(driver.status());
  }
  agent::VmSpec spec =
      agent::app::MakeVmSpec(*instance, *image,
                             {.bind_address = flags.bind_address,
                              .accelerator = agent::DetectAccelerator(*mode),
                              .console_log = StrCat(flags.state_dir, "/logs/", name, ".log")});
  ApplyHostPorts(flags.ports, spec);
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  const int code = Boot(**driver, spec);
  fs::remove(*disk);
  return code;
}

}  // namespace

void RegisterRunCommand(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  auto* run = app.add_subcommand(
      "run", "Build a program's image and boot it in the foreground, like ops run");
  run->add_option("program", flags->image.program, "The program (an ELF)")->required();
  AddImageContentFlags(*run, flags->image);
  run->add_option("-p,--port", flags->ports, "PORT or HOSTPORT:PORT to forward (repeat)");
  run->add_option("--memory", flags->memory, "Guest memory")->capture_default_str();
  run->add_option("--cpus", flags->cpus, "Virtual CPUs")->capture_default_str();
  run->add_option("--accel", flags->accel, "auto, kvm or tcg")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
      ->capture_default_str();
  run->add_option("--bind-address", flags->bind_address, "Host address of the port forwards")
      ->capture_default_str();
  run->add_option("--state-dir", flags->state_dir, "Where the VM's disk and log live while it runs")
      ->capture_default_str();
  run->add_flag("--direct-boot", flags->direct_boot,
                "Boot kernel.img directly, not the boot sector");
  AddImageToolFlags(*run, flags->tools);
  run->callback([flags] {
    int code = RunRun(*flags);
    if (code != 0) {
      throw CLI::RuntimeError(code);
    }
  });
}

}  // namespace nanoplane::cli
