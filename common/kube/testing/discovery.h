#pragma once

// Legacy discovery documents (/version, /api, /apis, /api/v1, /apis/<g>,
// /apis/<g>/<v>) and meta.k8s.io/v1 Tables, in the real server's JSON.
// kubectl 1.32 asks for aggregated discovery (apidiscovery.k8s.io/v2) first;
// like a 1.23 server, the fake answers with the legacy form and kubectl
// falls back to it. Pure functions.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/json.h"
#include "common/kube/testing/resources.h"

namespace nanoplane::kube::testing {

Json VersionInfo();
Json CoreVersions(const std::string& server_address);
Json GroupList(const std::vector<ResourceInfo>& resources);
// nullopt when no resource is served in that group (or group version).
std::optional<Json> Group(const std::vector<ResourceInfo>& resources, const std::string& group);
std::optional<Json> ResourceList(const std::vector<ResourceInfo>& resources,
                                 const std::string& group, const std::string& version);

// The Table the server returns for `Accept: ...;as=Table;g=meta.k8s.io`:
// a CRD's additionalPrinterColumns, core events' columns, or Name and Age.
// `objects` are in the served form; `list_rv` is the list's resourceVersion.
// include_object: "PartialObjectMetadata" (the default), "Object" or "None".
Json ToTable(const ResourceInfo& resource, const std::vector<Json>& objects,
             const Json& list_meta, const std::string& include_object, bool headers,
             absl::Time now);

// A printer column's JSONPath (".status.readyReplicas",
// ".status.conditions[?(@.type=="Ready")].status") on `object`, or null.
Json EvalJsonPath(const Json& object, const std::string& path);
// duration.HumanDuration: "45s", "3m2s", "10m", "5h3m", "3d".
std::string HumanDuration(absl::Duration d);

}  // namespace nanoplane::kube::testing
