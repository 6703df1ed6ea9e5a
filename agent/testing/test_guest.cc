#include "agent/testing/test_guest.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent::testing {
namespace {

namespace fs = std::filesystem;

// Bump when the init or the file set changes, so cached guests are rebuilt.
constexpr char kGuestVersion[] = "np-test-guest-3";
constexpr char kBusybox[] = "/bin/busybox";
// Loaded in dependency order (modules.dep decides): the NIC, the ACPI power
// button and its input events (graceful stop), pvpanic (crash reporting).
const char* const kWantedModules[] = {"virtio_pci", "virtio_net", "button", "evdev",
                                      "pvpanic-mmio"};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The newest /boot/vmlinuz-*-cloud-amd64, as its version ("6.1.0-56-cloud-amd64").
absl::StatusOr<std::string> CloudKernelVersion() {
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/boot", ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("vmlinuz-") && name.ends_with("-cloud-amd64")) {
      versions.push_back(name.substr(8));
    }
  }
  if (versions.empty()) {
    return absl::FailedPreconditionError(
        "test guest: no /boot/vmlinuz-*-cloud-amd64 (install linux-image-cloud-amd64)");
  }
  std::sort(versions.begin(), versions.end());
  return versions.back();
}

// modules.dep: module path -> its dependencies' paths.
std::map<std::string, std::vector<std::string>> ReadModulesDep(const fs::path& dir) {
  std::map<std::string, std::vector<std::string>> deps;
  std::istringstream in(ReadFile(dir / "modules.dep"));
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::vector<std::string>& list = deps[line.substr(0, colon)];
    std::istringstream words(line.substr(colon + 1));
    std::string word;
    while (words >> word) {
      list.push_back(word);
    }
  }
  return deps;
}

std::string ModuleName(const std::string& path) { return fs::path(path).stem().string(); }

void AddWithDeps(const std::string& path,
                 const std::map<std::string, std::vector<std::string>>& deps,
                 std::vector<std::string>& order) {
  if (std::find(order.begin(), order.end(), path) != order.end()) {
    return;
  }
  auto it = deps.find(path);
  if (it != deps.end()) {
    for (const std::string& dep : it->second) {
      AddWithDeps(dep, deps, order);
    }
  }
  order.push_back(path);
}

// Module paths (relative to the modules dir) in load order.
absl::StatusOr<std::vector<std::string>> ModuleLoadOrder(const fs::path& dir) {
  auto deps = ReadModulesDep(dir);
  std::vector<std::string> order;
  for (const char* wanted : kWantedModules) {
    auto it = std::find_if(deps.begin(), deps.end(),
                           [&](const auto& entry) { return ModuleName(entry.first) == wanted; });
    if (it == deps.end()) {
      return absl::FailedPreconditionError(StrCat("test guest: no kernel module ", wanted));
    }
    AddWithDeps(it->first, deps, order);
  }
  return order;
}

void CpioEntry(std::string& out, std::string_view name, uint32_t mode, std::string_view data) {
  static uint32_t inode = 1;
  char header[111];
  snprintf(header, sizeof(header), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
           inode++, mode, 0u, 0u, 1u, 0u, static_cast<uint32_t>(data.size()), 0u, 0u, 0u, 0u,
           static_cast<uint32_t>(name.size() + 1), 0u);
  out.append(header, 110);
  out.append(name);
  out.push_back('\0');
  out.append((4 - out.size() % 4) % 4, '\0');
  out.append(data);
  out.append((4 - out.size() % 4) % 4, '\0');
}

absl::Status WriteGzip(const fs::path& path, const std::string& data) {
  gzFile file = gzopen(path.c_str(), "wb1");
  if (file == nullptr) {
    return absl::InternalError(StrCat("test guest: cannot write ", path.string()));
  }
  int written = gzwrite(file, data.data(), static_cast<unsigned>(data.size()));
  int closed = gzclose(file);
  if (written != static_cast<int>(data.size()) || closed != Z_OK) {
    return absl::InternalError(StrCat("test guest: short write to ", path.string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BuildArchive(const fs::path& module_dir) {
  NP_ASSIGN_OR_RETURN(std::vector<std::string> modules, ModuleLoadOrder(module_dir));
  std::string busybox = ReadFile(kBusybox);
  std::string exit_helper = ReadFile(NP_TEST_GUEST_EXIT_PATH);
  if (busybox.empty() || exit_helper.empty()) {
    return absl::FailedPreconditionError("test guest: needs busybox-static and np_test_guest_exit");
  }
  std::vector<std::string> names;
  std::string cpio;
  for (const char* dir : {"bin", "dev", "proc", "sys", "www", "lib", "lib/modules"}) {
    CpioEntry(cpio, dir, 040755, "");
  }
  for (const std::string& module : modules) {
    names.push_back(ModuleName(module));
    CpioEntry(cpio, StrCat("lib/modules/", names.back(), ".ko"), 0100644,
              ReadFile(module_dir / module));
  }
  CpioEntry(cpio, "bin/busybox", 0100755, busybox);
  CpioEntry(cpio, "bin/np-exit", 0100755, exit_helper);
  CpioEntry(cpio, "init", 0100755, TestGuestInit(names));
  CpioEntry(cpio, "TRAILER!!!", 0, "");
  return cpio;
}

std::string Stamp(const std::string& version) {
  return StrCat(kGuestVersion, " ", version, " ", TestGuestInit({}).size(), " ",
                fs::file_size(NP_TEST_GUEST_EXIT_PATH), "\n");
}

}  // namespace

std::string TestGuestInit(const std::vector<std::string>& modules) {
  return StrCat(
      "#!/bin/busybox sh\n"
      "/bin/busybox --install -s /bin\n"
      "export PATH=/bin\n"
      "mount -t proc proc /proc\n"
      "mount -t sysfs sys /sys\n"
      "mount -t devtmpfs dev /dev\n"
      "for m in ",
      StrJoin(modules, " "),
      "; do\n"
      "  insmod /lib/modules/$m.ko || echo \"np-test-guest: insmod $m failed\"\n"
      "done\n"
      "# virtio-net probes asynchronously.\n"
      "for i in $(seq 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.05; done\n"
      "ip link set lo up\n"
      "ip addr add 10.0.2.15/24 dev eth0\n"
      "ip link set eth0 up\n"
      "ip route add default via 10.0.2.2\n"
      "# ACPI shutdown: any event from the power button powers off.\n"
      "for d in /sys/class/input/input*; do\n"
      "  if grep -q 'Power Button' $d/name 2>/dev/null; then\n"
      "    ev=$(ls $d | grep '^event' | head -n 1)\n"
      "    (head -c 1 /dev/input/$ev >/dev/null; echo 'np-test-guest: power button'; "
      "poweroff -f) &\n"
      "  fi\n"
      "done\n"
      "mode=; code=0\n"
      "for w in $(cat /proc/cmdline); do\n"
      "  case \"$w\" in\n"
      "    np.mode=*) mode=\"${w#np.mode=}\" ;;\n"
      "    np.code=*) code=\"${w#np.code=}\" ;;\n"
      "  esac\n"
      "done\n"
      "echo \"",
      kTestGuestMarker,
      " mode=$mode\"\n"
      "case \"$mode\" in\n"
      "  http)\n"
      "    printf '",
      kTestGuestBody,
      "' > /www/index.html\n"
      "    httpd -p 8080 -h /www\n"
      "    echo 'np-test-guest: http on 8080' ;;\n"
      "  exit)\n"
      "    echo \"np-test-guest: exit $code\"\n"
      "    np-exit \"$code\"\n"
      "    poweroff -f ;;\n"
      "  crash)\n"
      "    echo 'np-test-guest: crash'\n"
      "    echo c > /proc/sysrq-trigger ;;\n"
      "esac\n"
      "while true; do sleep 3600; done\n");
}

absl::StatusOr<TestGuest> MakeTestGuest(const std::string& dir) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  NP_ASSIGN_OR_RETURN(std::string version, CloudKernelVersion());
  TestGuest guest{.kernel_path = StrCat("/boot/vmlinuz-", version),
                  .initrd_path = StrCat(dir, "/initrd-", version, ".img")};
  const fs::path stamp_path = StrCat(guest.initrd_path, ".stamp");
  const std::string stamp = Stamp(version);
  std::error_code ec;
  if (fs::exists(guest.initrd_path, ec) && ReadFile(stamp_path) == stamp) {
    return guest;
  }
  fs::create_directories(dir, ec);
  chmod(dir.c_str(), 0755);
  NP_ASSIGN_OR_RETURN(std::string cpio, BuildArchive(StrCat("/lib/modules/", version)));
  // Another process may build the same guest: write aside, then rename.
  const std::string temp = StrCat(guest.initrd_path, ".", getpid(), ".tmp");
  NP_RETURN_IF_ERROR(WriteGzip(temp, cpio));
  chmod(temp.c_str(), 0644);
  fs::rename(temp, guest.initrd_path, ec);
  std::ofstream(StrCat(stamp_path.string(), ".", getpid())) << stamp;
  fs::rename(StrCat(stamp_path.string(), ".", getpid()), stamp_path, ec);
  if (ec) {
    return absl::InternalError(StrCat("test guest: ", ec.message()));
  }
  return guest;
}

KernelBoot TestGuestBoot(const TestGuest& guest, std::string_view args) {
  return KernelBoot{.kernel_path = guest.kernel_path,
                    .initrd_path = guest.initrd_path,
                    .cmdline = StrCat("console=ttyS0 quiet ", args)};
}

}  // namespace nanoplane::agent::testing
