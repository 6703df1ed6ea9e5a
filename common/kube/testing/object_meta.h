#pragma once

// ObjectMeta rules of the real server's generic registry (rest.BeforeCreate,
// rest.BeforeUpdate, ValidateObjectMetaUpdate). Pure functions, except
// NewUid's randomness.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/json.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/resources.h"
#include "common/kube/testing/selectors.h"

namespace nanoplane::kube::testing {

std::string NewUid();
// "2026-12-04T03:27:51Z": metav1.Time's seconds-precision RFC 3339.
std::string Rfc3339(absl::Time t);
// metav1.MicroTime: "2026-12-04T03:27:51.123456Z".
std::string Rfc3339Micro(absl::Time t);
// generateName plus five characters from the real server's alphabet.
std::string GenerateName(const std::string& prefix);

// metadata.name as a DNS-1123 subdomain (a label for namespaces).
std::vector<FieldCause> ValidateName(const ResourceInfo& resource, const Json& object);

// An update's new metadata: what the client may not change comes from `old`
// (uid when absent, creationTimestamp, deletionTimestamp, generation...).
void KeepImmutableMeta(const Json& old, Json& object);
// What ValidateObjectMetaUpdate refuses: new finalizers on an object being
// deleted, a changed namespace or uid.
std::vector<FieldCause> ValidateMetaUpdate(const Json& old, const Json& object);

// True when anything outside metadata (and status, with a status
// subresource) differs: what bumps a CR's generation.
bool SpecChanged(const Json& old, const Json& object, bool ignore_status);

// Equal as the API server compares objects: it stores them as Go maps, which
// JSON writes with sorted keys, so the order of an object's keys never counts.
bool SameObject(const Json& a, const Json& b);

StringMap LabelsOf(const Json& object);
// The values a fieldSelector on `resource` can name.
StringMap SelectableFields(const ResourceInfo& resource, const Json& object);

std::vector<std::string> FinalizersOf(const Json& object);
bool BeingDeleted(const Json& object);

}  // namespace nanoplane::kube::testing
