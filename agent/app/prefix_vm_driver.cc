#include "agent/app/prefix_vm_driver.h"

#include "common/strings.h"

namespace nanoplane::agent::app::testing {

absl::Status PrefixVmDriver::NotMine(std::string_view name) const {
  return absl::NotFoundError(StrCat("vm ", name, ": outside this test's view"));
}

absl::StatusOr<VmInfo> PrefixVmDriver::Create(const VmSpec& spec) {
  if (!Mine(spec.identity.name)) {
    return NotMine(spec.identity.name);
  }
  return inner_.Create(spec);
}

absl::Status PrefixVmDriver::Stop(std::string_view name, absl::Duration timeout) {
  return Mine(name) ? inner_.Stop(name, timeout) : NotMine(name);
}

absl::Status PrefixVmDriver::Destroy(std::string_view name) {
  return Mine(name) ? inner_.Destroy(name) : NotMine(name);
}

absl::Status PrefixVmDriver::Delete(std::string_view name, const DeleteOptions& options) {
  return Mine(name) ? inner_.Delete(name, options) : NotMine(name);
}

absl::StatusOr<std::vector<VmInfo>> PrefixVmDriver::List() {
  absl::StatusOr<std::vector<VmInfo>> all = inner_.List();
  if (!all.ok()) {
    return all.status();
  }
  std::vector<VmInfo> mine;
  for (VmInfo& vm : *all) {
    if (Mine(vm.identity.name)) {
      mine.push_back(std::move(vm));
    }
  }
  return mine;
}

absl::StatusOr<VmInfo> PrefixVmDriver::Get(std::string_view name) {
  if (!Mine(name)) {
    return NotMine(name);
  }
  return inner_.Get(name);
}

absl::Status PrefixVmDriver::Watch(VmEventCallback callback) {
  return inner_.Watch([this, callback = std::move(callback)](const VmEvent& event) {
    if (Mine(event.name)) {
      callback(event);
    }
  });
}

}  // namespace nanoplane::agent::app::testing
