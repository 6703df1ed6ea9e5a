#include "agent/adapters/domain_xml.h"

#include "agent/adapters/domain_metadata.h"
#include "common/strings.h"

namespace nanoplane::agent {
namespace {

std::string OsElement(const VmSpec& spec) {
  std::string out = "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n";
  if (const auto* kernel = std::get_if<KernelBoot>(&spec.boot)) {
    StrAppend(&out, "    <kernel>", XmlEscape(kernel->kernel_path), "</kernel>\n");
    if (!kernel->initrd_path.empty()) {
      StrAppend(&out, "    <initrd>", XmlEscape(kernel->initrd_path), "</initrd>\n");
    }
    if (!kernel->cmdline.empty()) {
      StrAppend(&out, "    <cmdline>", XmlEscape(kernel->cmdline), "</cmdline>\n");
    }
  } else {
    out += "    <boot dev='hd'/>\n";
  }
  out += "  </os>\n";
  return out;
}

std::string DiskElement(const DomainPlan& plan) {
  if (plan.disk_path.empty()) {
    return "";
  }
  // cache='unsafe': the overlay is thrown away at the next Create, so there is
  // nothing for flushes to protect.
  return StrCat("    <disk type='file' device='disk'>\n",
                "      <driver name='qemu' type='qcow2' cache='unsafe' discard='unmap'/>\n",
                "      <source file='", XmlEscape(plan.disk_path), "'/>\n",
                "      <target dev='vda' bus='virtio'/>\n", "    </disk>\n");
}

std::string BridgeElement(const BridgeNetwork& bridge) {
  std::string source = bridge.network.empty()
                           ? StrCat("<source bridge='", XmlEscape(bridge.bridge), "'/>")
                           : StrCat("<source network='", XmlEscape(bridge.network), "'/>");
  return StrCat("    <interface type='", bridge.network.empty() ? "bridge" : "network", "'>\n",
                "      ", source, "\n", "      <model type='virtio'/>\n", "    </interface>\n");
}

std::string DevicesElement(const VmSpec& spec, const DomainPlan& plan) {
  std::string out = "  <devices>\n";
  if (!plan.emulator.empty()) {
    StrAppend(&out, "    <emulator>", XmlEscape(plan.emulator), "</emulator>\n");
  }
  out += DiskElement(plan);
  if (const auto* bridge = std::get_if<BridgeNetwork>(&spec.network)) {
    out += BridgeElement(*bridge);
  }
  StrAppend(&out, "    <serial type='file'>\n", "      <source path='", XmlEscape(plan.console_log),
            "' append='on'/>\n", "      <target port='0'/>\n", "    </serial>\n",
            "    <controller type='usb' model='none'/>\n", "    <memballoon model='none'/>\n",
            "    <panic model='isa'/>\n", "  </devices>\n");
  return out;
}

void AppendArg(std::string& out, std::string_view value) {
  StrAppend(&out, "    <qemu:arg value='", XmlEscape(value), "'/>\n");
}

// QEMU arguments libvirt cannot express: user networking with forwards and
// the isa-debug-exit device.
std::string CommandLineElement(const VmSpec& spec, const DomainPlan& plan) {
  std::string args;
  if (std::holds_alternative<UserNetwork>(spec.network)) {
    AppendArg(args, "-netdev");
    AppendArg(args, UserNetdevArgument(plan.ports));
    AppendArg(args, "-device");
    AppendArg(args, StrCat("virtio-net-pci,netdev=n0,", kUserNicAddress));
  }
  if (spec.debug_exit) {
    AppendArg(args, "-device");
    // QEMU's default port, 0x501, is the one Nanos writes its exit code to.
    AppendArg(args, "isa-debug-exit,iobase=0x501,iosize=0x02");
  }
  if (args.empty()) {
    return "";
  }
  return StrCat("  <qemu:commandline>\n", args, "  </qemu:commandline>\n");
}

DomainMetadata MetadataFor(const VmSpec& spec, const DomainPlan& plan) {
  return DomainMetadata{.identity = spec.identity,
                        .accelerator = spec.accelerator,
                        .ports = plan.ports,
                        .console_log = plan.console_log,
                        .state_dir = plan.state_dir,
                        .debug_exit = spec.debug_exit,
                        .bridged = std::holds_alternative<BridgeNetwork>(spec.network)};
}

}  // namespace

std::string UserNetdevArgument(const std::vector<PortBinding>& ports) {
  std::string value = "user,id=n0,restrict=on";
  for (const PortBinding& port : ports) {
    StrAppend(&value, ",hostfwd=", port.forward.protocol == Protocol::kUdp ? "udp" : "tcp", ":",
              port.host_address, ":", port.forward.host_port, "-:", port.forward.guest_port);
  }
  return value;
}

std::string RenderDomainXml(const VmSpec& spec, const DomainPlan& plan) {
  std::string out = StrCat("<domain type='", spec.accelerator == Accelerator::kKvm ? "kvm" : "qemu",
                           "' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n");
  StrAppend(&out, "  <name>", XmlEscape(spec.identity.name), "</name>\n");
  if (!plan.uuid.empty()) {
    StrAppend(&out, "  <uuid>", XmlEscape(plan.uuid), "</uuid>\n");
  }
  StrAppend(&out, "  <metadata>\n", RenderMetadata(MetadataFor(spec, plan), 4), "  </metadata>\n");
  StrAppend(&out, "  <memory unit='KiB'>", spec.memory_bytes / 1024, "</memory>\n",
            "  <vcpu placement='static'>", spec.vcpus, "</vcpu>\n");
  out += OsElement(spec);
  StrAppend(&out, "  <features>\n    <acpi/>\n  </features>\n", "  <clock offset='utc'/>\n",
            "  <on_poweroff>destroy</on_poweroff>\n", "  <on_reboot>destroy</on_reboot>\n",
            "  <on_crash>destroy</on_crash>\n");
  out += DevicesElement(spec, plan);
  out += CommandLineElement(spec, plan);
  out += "</domain>\n";
  return out;
}

}  // namespace nanoplane::agent
