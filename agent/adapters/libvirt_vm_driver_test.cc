// LibvirtVmDriver against a real libvirtd (qemu:///system) with the Linux test
// guest. Skipped when libvirtd does not answer; CI starts it with
// scripts/libvirtd. Each test boots its own guests, so ctest can run them in
// parallel.

#include "agent/adapters/libvirt_vm_driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/adapters/accelerator.h"
#include "agent/adapters/exit_status.h"
#include "agent/adapters/subprocess.h"
#include "agent/testing/test_guest.h"
#include "common/strings.h"
#include "common/testing/net_wait.h"
#include "common/testing/require.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

using ::nanoplane::test_support::HttpGet;
using ::nanoplane::test_support::WaitFor;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kBootTimeout = absl::Seconds(60);

}  // namespace

void PrintTo(const VmEvent& event, std::ostream* os) {
  *os << "{" << event.name << " " << ToString(event.type) << " "
      << StopReasonName(event.stop_reason) << " exit=" << event.exit_code.value_or(-1) << "}";
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class LibvirtVmDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NP_SKIP_UNLESS_LIBVIRTD();
    static std::atomic<int> counter = 0;
    prefix_ = StrCat("np-test-", getpid(), "-", counter++);
    state_dir_ = StrCat("/tmp/", prefix_);
    absl::StatusOr<testing::TestGuest> guest =
        testing::MakeTestGuest((fs::temp_directory_path() / "nanoplane-test-guest").string());
    ASSERT_TRUE(guest.ok()) << guest.status();
    guest_ = *guest;
    driver_ = OpenDriver();
    ASSERT_NE(driver_, nullptr);
  }

  void TearDown() override {
    if (driver_ != nullptr) {
      for (const std::string& name : created_) {
        (void)driver_->Delete(name, {.remove_console_log = true});
      }
    }
    std::error_code ec;
    fs::remove_all(state_dir_, ec);
  }

  std::unique_ptr<LibvirtVmDriver> OpenDriver() {
    absl::StatusOr<std::unique_ptr<LibvirtVmDriver>> driver =
        LibvirtVmDriver::Open({.state_dir = state_dir_});
    EXPECT_TRUE(driver.ok()) << driver.status();
    return driver.ok() ? *std::move(driver) : nullptr;
  }

  VmSpec GuestSpec(std::string_view suffix, std::string_view args) {
    const std::string name = StrCat(prefix_, "-", suffix);
    created_.push_back(name);
    return VmSpec{.identity = {.name = name,
                               .namespace_name = "default",
                               .unikernel = "web",
                               .uid = "0b7e4a8c-uid",
                               .revision = 3,
                               .spec_hash = "5f2c9e"},
                  .memory_bytes = 128 << 20,
                  .vcpus = 1,
                  .boot = testing::TestGuestBoot(guest_, args),
                  .network = UserNetwork{.forwards = {{.name = "http", .guest_port = 8080}}},
                  .accelerator = DetectAccelerator()};
  }

  // Waits until the VM is no longer running; its final info.
  VmInfo WaitStopped(const std::string& name) {
    VmInfo info;
    EXPECT_TRUE(WaitFor(
        [&] {
          absl::StatusOr<VmInfo> got = driver_->Get(name);
          info = got.value_or(VmInfo{});
          return got.ok() && info.state != VmState::kRunning;
        },
        kBootTimeout))
        << name << " still runs";
    return info;
  }

  std::string prefix_;
  std::string state_dir_;
  testing::TestGuest guest_;
  std::unique_ptr<LibvirtVmDriver> driver_;
  std::vector<std::string> created_;
};

TEST_F(LibvirtVmDriverTest, BootsServesHttpIsAdoptedAndStopsGracefully) {
  VmSpec spec = GuestSpec("http", "np.mode=http");
  const absl::Time start = absl::Now();
  absl::StatusOr<VmInfo> created = driver_->Create(spec);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(created->ports.size(), 1u);
  const int host_port = created->ports[0].forward.host_port;
  EXPECT_GT(host_port, 0);
  EXPECT_EQ(created->ports[0].host_address, "127.0.0.1");

  ASSERT_TRUE(WaitFor(
      [&] {
        return ReadFile(created->console_log).find(testing::kTestGuestMarker) != std::string::npos;
      },
      kBootTimeout))
      << ReadFile(created->console_log);
  const absl::Duration to_marker = absl::Now() - start;
  std::string response;
  ASSERT_TRUE(WaitFor(
      [&] {
        response = HttpGet(host_port);
        return response.find(testing::kTestGuestBody) != std::string::npos;
      },
      kBootTimeout));
  const absl::Duration to_http = absl::Now() - start;
  EXPECT_THAT(response, HasSubstr("200 OK"));
  std::printf("test guest (%s): create to marker %s, create to HTTP ready %s\n",
              std::string(ToString(spec.accelerator)).c_str(),
              absl::FormatDuration(to_marker).c_str(), absl::FormatDuration(to_http).c_str());

  // A new driver object finds the domain again by its metadata.
  std::unique_ptr<LibvirtVmDriver> adopter = OpenDriver();
  ASSERT_NE(adopter, nullptr);
  absl::StatusOr<std::vector<VmInfo>> listed = adopter->List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::vector<VmInfo> ours;
  for (const VmInfo& vm : *listed) {
    if (vm.identity.name == spec.identity.name) {
      ours.push_back(vm);
    }
  }
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(ours[0].identity, spec.identity);
  EXPECT_EQ(ours[0].state, VmState::kRunning);
  EXPECT_EQ(ours[0].ports, created->ports);
  ASSERT_TRUE(ours[0].started_at.has_value());
  EXPECT_LE(absl::AbsDuration(*ours[0].started_at - start), absl::Seconds(30));

  const absl::Time stop_start = absl::Now();
  ASSERT_TRUE(adopter->Stop(spec.identity.name, absl::Seconds(30)).ok());
  absl::StatusOr<VmInfo> stopped = adopter->Get(spec.identity.name);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state, VmState::kShutOff);
  EXPECT_EQ(stopped->stop_reason, StopReason::kShutdown) << "ACPI shutdown was not graceful";
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(30));
  EXPECT_THAT(ReadFile(created->console_log), HasSubstr("np-test-guest: power button"));
}

TEST_F(LibvirtVmDriverTest, ReportsExitCodeThroughIsaDebugExit) {
  VmSpec spec = GuestSpec("exit", "np.mode=exit np.code=3");
  spec.debug_exit = true;
  // Shared with the watcher, which may run after this test body returns.
  struct Seen {
    absl::Mutex mu;
    std::vector<VmEvent> events;
  };
  auto seen = std::make_shared<Seen>();
  ASSERT_TRUE(driver_
                  ->Watch([seen](const VmEvent& event) {
                    absl::MutexLock lock(&seen->mu);
                    seen->events.push_back(event);
                  })
                  .ok());
  ASSERT_TRUE(driver_->Create(spec).ok());

  VmInfo info = WaitStopped(spec.identity.name);
  EXPECT_EQ(info.state, VmState::kShutOff);
  EXPECT_EQ(info.stop_reason, StopReason::kExited);
  EXPECT_EQ(info.exit_code, 3);

  ASSERT_TRUE(WaitFor(
      [&] {
        absl::MutexLock lock(&seen->mu);
        return std::any_of(seen->events.begin(), seen->events.end(), [&](const VmEvent& e) {
          return e.name == spec.identity.name && e.type == VmEventType::kStopped;
        });
      },
      absl::Seconds(10)));
  absl::MutexLock lock(&seen->mu);
  std::vector<VmEvent> stops;
  for (const VmEvent& event : seen->events) {
    // Other tests' guests (in parallel processes) are nanoplane's too.
    if (event.name == spec.identity.name && event.type == VmEventType::kStopped) {
      stops.push_back(event);
    }
  }
  EXPECT_THAT(stops, ElementsAre(VmEvent{.name = spec.identity.name,
                                         .type = VmEventType::kStopped,
                                         .stop_reason = StopReason::kExited,
                                         .exit_code = 3}));
}

TEST_F(LibvirtVmDriverTest, ReportsGuestPanicAsCrash) {
  VmSpec spec = GuestSpec("crash", "np.mode=crash");
  ASSERT_TRUE(driver_->Create(spec).ok());
  VmInfo info = WaitStopped(spec.identity.name);
  EXPECT_EQ(info.state, VmState::kCrashed);
  EXPECT_EQ(info.stop_reason, StopReason::kCrashed);
  EXPECT_FALSE(info.exit_code.has_value());
  EXPECT_THAT(ReadFile(info.console_log), HasSubstr("Kernel panic"));
}

TEST_F(LibvirtVmDriverTest, DeleteRemovesOverlayAndStateButKeepsConsoleLog) {
  const std::string base = StrCat(state_dir_, "-base.img");
  {
    std::ofstream out(base, std::ios::binary);
    out << std::string(1 << 20, '\0');
  }
  VmSpec spec = GuestSpec("disk", "np.mode=idle");
  spec.base_image = base;
  spec.network = UserNetwork{};
  absl::StatusOr<VmInfo> created = driver_->Create(spec);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string dir = StrCat(state_dir_, "/", spec.identity.name);
  EXPECT_TRUE(fs::exists(StrCat(dir, "/disk.qcow2")));

  // Redefining a stopped domain of the same name reuses it.
  ASSERT_TRUE(driver_->Destroy(spec.identity.name).ok());
  EXPECT_EQ(driver_->Get(spec.identity.name)->stop_reason, StopReason::kDestroyed);
  ASSERT_TRUE(driver_->Create(spec).ok());
  EXPECT_EQ(driver_->Create(spec).status().code(), absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(driver_->Delete(spec.identity.name, {}).ok());
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(fs::exists(created->console_log));
  EXPECT_EQ(driver_->Get(spec.identity.name).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(driver_->Delete(spec.identity.name, {}).code(), absl::StatusCode::kNotFound);
  fs::remove(base);
}

TEST_F(LibvirtVmDriverTest, NeverListsOrTouchesForeignDomains) {
  const std::string name = StrCat(prefix_, "-foreign");
  const std::string xml_path = StrCat(state_dir_, "-foreign.xml");
  {
    std::ofstream out(xml_path);
    out << "<domain type='qemu'><name>" << name << "</name><memory unit='MiB'>64</memory>"
        << "<os><type arch='x86_64' machine='q35'>hvm</type></os></domain>\n";
  }
  absl::StatusOr<CommandResult> defined =
      RunCommand({"virsh", "-c", "qemu:///system", "define", xml_path}, absl::Seconds(30));
  ASSERT_TRUE(defined.ok() && defined->exit_code == 0) << defined->output;

  absl::StatusOr<std::vector<VmInfo>> listed = driver_->List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const VmInfo& vm : *listed) {
    EXPECT_NE(vm.identity.name, name);
  }
  EXPECT_EQ(driver_->Get(name).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(driver_->Delete(name, {}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(driver_->Destroy(name).code(), absl::StatusCode::kNotFound);
  VmSpec spec = GuestSpec("unused", "np.mode=idle");
  spec.identity.name = name;
  created_.pop_back();
  EXPECT_EQ(driver_->Create(spec).status().code(), absl::StatusCode::kAlreadyExists);

  absl::StatusOr<CommandResult> still =
      RunCommand({"virsh", "-c", "qemu:///system", "dominfo", name}, absl::Seconds(30));
  EXPECT_TRUE(still.ok() && still->exit_code == 0) << "the foreign domain was removed";
  (void)RunCommand({"virsh", "-c", "qemu:///system", "undefine", name}, absl::Seconds(30));
  fs::remove(xml_path);
}

// Two agents on one host, each with its own state directory: neither sees,
// stops nor removes the other's VMs.
TEST_F(LibvirtVmDriverTest, AnotherStateDirectorysDomainsAreInvisible) {
  VmSpec spec = GuestSpec("mine", "np.mode=idle");
  absl::StatusOr<VmInfo> created = driver_->Create(spec);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string other_dir = StrCat(state_dir_, "-other");
  absl::StatusOr<std::unique_ptr<LibvirtVmDriver>> other =
      LibvirtVmDriver::Open({.state_dir = other_dir});
  ASSERT_TRUE(other.ok()) << other.status();

  absl::StatusOr<std::vector<VmInfo>> listed = (*other)->List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const VmInfo& vm : *listed) {
    EXPECT_NE(vm.identity.name, spec.identity.name);
  }
  const std::string& name = spec.identity.name;
  EXPECT_EQ((*other)->Get(name).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*other)->Stop(name, absl::Seconds(1)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*other)->Delete(name, {}).code(), absl::StatusCode::kNotFound);

  absl::StatusOr<VmInfo> still = driver_->Get(name);
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(still->state, VmState::kRunning);
  other->reset();
  std::error_code ec;
  fs::remove_all(other_dir, ec);
}

TEST_F(LibvirtVmDriverTest, AStateDirectoryQemuCannotReachIsRefusedWithTheReason) {
  const std::string closed = StrCat(state_dir_, "-closed");
  fs::create_directories(closed);
  fs::permissions(closed, fs::perms::owner_all);
  absl::StatusOr<std::unique_ptr<LibvirtVmDriver>> driver =
      LibvirtVmDriver::Open({.state_dir = closed + "/vms"});
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(driver.status().message()),
              HasSubstr(StrCat("cannot enter ", closed, " (mode 0700)")));
  fs::remove_all(closed);
}

}  // namespace
}  // namespace nanoplane::agent
