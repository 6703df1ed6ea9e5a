#pragma once

// The nanoplane element in a libvirt domain's <metadata>: the instance's
// identity and what the driver decided for it (host ports, paths), so that a
// new driver can adopt the domain with nothing but libvirt to go on. Its
// presence is what makes a domain nanoplane's.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent {

inline constexpr char kMetadataNamespace[] = "https://nanoplane.dev/xmlns/instance/v1";
inline constexpr char kMetadataPrefix[] = "nanoplane";

struct DomainMetadata {
  InstanceIdentity identity;
  Accelerator accelerator = Accelerator::kTcg;
  std::vector<PortBinding> ports;
  std::string console_log;
  std::string state_dir;  // the instance's overlay and state; removed by Delete
  bool debug_exit = false;
  bool bridged = false;
  bool operator==(const DomainMetadata&) const = default;
};

// The <nanoplane:instance> element, indented by `indent` spaces.
std::string RenderMetadata(const DomainMetadata& metadata, int indent);

// Parses the element as libvirt returns it (virDomainGetMetadata). Returns
// InvalidArgument when it is not well-formed or lacks the instance name.
absl::StatusOr<DomainMetadata> ParseMetadata(std::string_view xml);

// Escapes text for XML character data and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace nanoplane::agent
