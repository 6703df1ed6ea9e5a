#include "e2e/libvirt.h"

#include "common/files.h"
#include "common/strings.h"
#include "e2e/process.h"

namespace nanoplane::e2e {
namespace {

absl::StatusOr<CommandResult> Virsh(std::vector<std::string> args) {
  args.insert(args.begin(), {"virsh", "-c", "qemu:///system"});
  return RunCommand(args, absl::Seconds(30));
}

}  // namespace

std::vector<std::string> Domains(const std::string& prefix) {
  std::vector<std::string> names;
  absl::StatusOr<CommandResult> listed = Virsh({"list", "--all", "--name"});
  if (!listed.ok()) {
    return names;
  }
  for (std::string_view line : StrSplit(listed->output, '\n')) {
    if (line.substr(0, prefix.size()) == prefix) {
      names.emplace_back(line);
    }
  }
  return names;
}

int QemuPid(const std::string& domain) {
  std::string text = ReadFileToString(StrCat("/run/libvirt/qemu/", domain, ".pid")).value_or("");
  return static_cast<int>(ParseInt64(text.substr(0, text.find_first_of("\n"))).value_or(0));
}

void RemoveDomains(const std::string& prefix) {
  for (const std::string& domain : Domains(prefix)) {
    (void)Virsh({"destroy", domain});
    (void)Virsh({"undefine", domain});
  }
}

}  // namespace nanoplane::e2e
