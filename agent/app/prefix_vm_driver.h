#pragma once

// PrefixVmDriver (tests): a view of another VmDriver that shows only the VMs
// whose names start with a prefix. Every nanoplane domain on a host is one
// agent's, so an Agent under test over the real libvirt driver would adopt,
// and after its grace period remove, the VMs of other tests and of other
// agents on the same machine; through this view it sees only its own.

#include <string>

#include "agent/ports/vm_driver.h"

namespace nanoplane::agent::app::testing {

class PrefixVmDriver final : public VmDriver {
 public:
  PrefixVmDriver(VmDriver& inner, std::string prefix) : inner_(inner), prefix_(std::move(prefix)) {}

  // ports::VmDriver
  [[nodiscard]] absl::StatusOr<VmInfo> Create(const VmSpec& spec) override;
  [[nodiscard]] absl::Status Stop(std::string_view name, absl::Duration timeout) override;
  [[nodiscard]] absl::Status Destroy(std::string_view name) override;
  [[nodiscard]] absl::Status Delete(std::string_view name, const DeleteOptions& options) override;
  [[nodiscard]] absl::StatusOr<std::vector<VmInfo>> List() override;
  [[nodiscard]] absl::StatusOr<VmInfo> Get(std::string_view name) override;
  [[nodiscard]] absl::Status Watch(VmEventCallback callback) override;

 private:
  bool Mine(std::string_view name) const { return name.substr(0, prefix_.size()) == prefix_; }
  absl::Status NotMine(std::string_view name) const;

  VmDriver& inner_;
  const std::string prefix_;
};

}  // namespace nanoplane::agent::app::testing
