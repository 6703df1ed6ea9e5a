#include "agent/adapters/domain_xml.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "agent/adapters/domain_metadata.h"
#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

// Set NP_UPDATE_GOLDENS=1 to rewrite the files after an intended change.
void ExpectGolden(const std::string& file, const std::string& actual) {
  const std::string path = std::string(NP_SOURCE_DIR) + "/agent/adapters/testdata/" + file;
  if (std::getenv("NP_UPDATE_GOLDENS") != nullptr) {
    std::ofstream(path) << actual;
  }
  std::ifstream in(path);
  std::ostringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "golden " << path;
}

InstanceIdentity Identity() {
  return {.name = "web-7c9f6d5b8-x2k4q",
          .namespace_name = "default",
          .unikernel = "web",
          .uid = "6f1c2d3e-aaaa-bbbb-cccc-1234567890ab",
          .revision = 4,
          .spec_hash = "9e107d9d372bb682"};
}

PortBinding Bound(std::string name, int guest, int host, Protocol protocol = Protocol::kTcp) {
  return {.forward = {.name = std::move(name),
                      .guest_port = guest,
                      .protocol = protocol,
                      .host_port = host},
          .host_address = "127.0.0.1"};
}

TEST(DomainXmlTest, NanosKernelBootWithDiskUserNetworkAndDebugExit) {
  VmSpec spec{
      .identity = Identity(),
      .memory_bytes = 256 << 20,
      .vcpus = 2,
      .boot = KernelBoot{.kernel_path = "/var/lib/nanoplane/releases/0.1.52/kernel.img"},
      .base_image = "/var/lib/nanoplane/images/ab12.img",
      .network =
          UserNetwork{.forwards = {{.name = "http", .guest_port = 8080},
                                   {.name = "dns", .guest_port = 53, .protocol = Protocol::kUdp}}},
      .accelerator = Accelerator::kKvm,
      .debug_exit = true};
  DomainPlan plan{.uuid = "0e7a3a52-5b4c-4d39-9d0e-1f2a3b4c5d6e",
                  .disk_path = "/var/lib/nanoplane/vms/web-7c9f6d5b8-x2k4q/disk.qcow2",
                  .console_log = "/var/lib/nanoplane/vms/logs/web-7c9f6d5b8-x2k4q.log",
                  .state_dir = "/var/lib/nanoplane/vms/web-7c9f6d5b8-x2k4q",
                  .ports = {Bound("http", 8080, 30001), Bound("dns", 53, 30002, Protocol::kUdp)},
                  .emulator = "/var/lib/nanoplane/vms/bin/nanoplane-qemu"};
  ExpectGolden("nanos_kernel_boot.xml", RenderDomainXml(spec, plan));
}

TEST(DomainXmlTest, LinuxTestGuestUnderTcgWithoutDisk) {
  VmSpec spec{.identity = {.name = "guest-0", .revision = 1},
              .memory_bytes = 128 << 20,
              .boot = KernelBoot{.kernel_path = "/boot/vmlinuz-6.1.0-56-cloud-amd64",
                                 .initrd_path = "/tmp/guest/initrd.img",
                                 .cmdline = "console=ttyS0 quiet np.mode=http"},
              .network = UserNetwork{.forwards = {{.guest_port = 8080}}}};
  DomainPlan plan{.console_log = "/tmp/vms/logs/guest-0.log",
                  .state_dir = "/tmp/vms/guest-0",
                  .ports = {Bound("", 8080, 31000)}};
  ExpectGolden("linux_test_guest.xml", RenderDomainXml(spec, plan));
}

TEST(DomainXmlTest, BiosBootOnABridgeEscapesText) {
  VmSpec spec{.identity = {.name = "db-0", .unikernel = "a<b&'c'"},
              .memory_bytes = 64 << 20,
              .boot = BiosBoot{},
              .base_image = "/images/db.img",
              .network = BridgeNetwork{.bridge = "br0"}};
  DomainPlan plan{.disk_path = "/vms/db-0/disk.qcow2",
                  .console_log = "/vms/logs/db-0.log",
                  .state_dir = "/vms/db-0"};
  ExpectGolden("bios_bridge.xml", RenderDomainXml(spec, plan));
}

TEST(DomainXmlTest, LibvirtNetworkInterface) {
  VmSpec spec{.identity = {.name = "n-0"},
              .memory_bytes = 64 << 20,
              .boot = BiosBoot{},
              .base_image = "/images/n.img",
              .network = BridgeNetwork{.network = "default"}};
  std::string xml = RenderDomainXml(spec, {.disk_path = "/d", .console_log = "/l"});
  EXPECT_NE(xml.find("<interface type='network'>\n      <source network='default'/>"),
            std::string::npos);
  EXPECT_EQ(xml.find("qemu:commandline"), std::string::npos);
}

TEST(DomainMetadataTest, RoundTripsThroughTheParser) {
  DomainMetadata metadata{
      .identity = Identity(),
      .accelerator = Accelerator::kKvm,
      .ports = {Bound("http", 8080, 30001), Bound("q", 9, 30002, Protocol::kUdp)},
      .console_log = "/logs/a&b.log",
      .state_dir = "/vms/web",
      .debug_exit = true,
      .bridged = false};
  absl::StatusOr<DomainMetadata> parsed = ParseMetadata(RenderMetadata(metadata, 0));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, metadata);
}

TEST(DomainMetadataTest, ParsesLibvirtsFormWithoutNamespaceAndSkipsUnknownFields) {
  absl::StatusOr<DomainMetadata> parsed = ParseMetadata(
      "<instance>\n  <name>web-0</name>\n  <revision>7</revision>\n  <future>x</future>\n"
      "  <port name=\"http\" protocol=\"tcp\" guest=\"8080\" hostAddress=\"127.0.0.1\" "
      "host=\"30000\"/>\n</instance>\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->identity.name, "web-0");
  EXPECT_EQ(parsed->identity.revision, 7);
  EXPECT_EQ(parsed->ports, std::vector<PortBinding>{Bound("http", 8080, 30000)});
}

TEST(DomainMetadataTest, RejectsForeignOrBrokenMetadata) {
  EXPECT_FALSE(ParseMetadata("<instance><name>x</name>").ok());
  EXPECT_FALSE(ParseMetadata("<other><name>x</name></other>").ok());
  EXPECT_FALSE(
      ParseMetadata("<x:instance xmlns:x='urn:other'><x:name>a</x:name></x:instance>").ok());
  EXPECT_FALSE(ParseMetadata("<instance><revision>1</revision></instance>").ok());
}

}  // namespace
}  // namespace nanoplane::agent
