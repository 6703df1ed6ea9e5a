#pragma once

// From a Unikernel's image spec to a BuildRequest: where each source comes
// from is the caller's business (the CLI reads local paths and downloads URLs;
// the agent fetches artifacts from the controller), given as a resolver.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/image/builder/build_request.h"
#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane::image {

// Returns a host path holding the source's content. `field` is the source's
// field path (spec.template.image.files[2].source) for error messages.
using SourceResolver = std::function<absl::StatusOr<std::string>(const v1alpha1::Source& source,
                                                                 const std::string& field)>;

// Turns a package's resolved file or directory into an unpacked package dir.
using PackageOpener = std::function<absl::StatusOr<std::string>(const std::string& host_path)>;

// REQUIRES: the spec is defaulted and valid (common/manifest_reader.h).
[[nodiscard]] absl::StatusOr<BuildRequest> BuildRequestFromSpec(const v1alpha1::ImageSpec& spec,
                                                                const SourceResolver& resolve,
                                                                const PackageOpener& open_package);

// A Struct (the spec's passthrough manifest) as Nanos values: numbers and
// booleans become strings, lists vectors, objects tuples.
Tuple ManifestTuple(const google::protobuf::Struct& manifest);

}  // namespace nanoplane::image
