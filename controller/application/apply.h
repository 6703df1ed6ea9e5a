#pragma once

// Server-side apply as pure functions: what of a client's object is taken, how
// it merges into the stored one, which artifacts it needs, and label selectors.
// The ControllerService does the I/O around them.

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api.h"
#include "common/field_errors.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::application {

// The template annotation `rollout restart` sets, as kubectl sets
// kubectl.kubernetes.io/restartedAt on a Deployment's pod template: a new
// template, so a new revision that replaces every instance.
inline constexpr std::string_view kRestartedAtAnnotation = "nanoplane.dev/restartedAt";

// Annotations under this prefix belong to the system: a re-apply that does not
// mention them keeps them.
inline constexpr std::string_view kSystemAnnotationPrefix = "nanoplane.dev/";

// The part of a client's object that apply takes: spec, name, namespace, labels
// and annotations, defaulted. Status and system metadata are dropped.
v1alpha1::Unikernel PrepareApplied(const v1alpha1::Unikernel& in);

// Everything wrong with a prepared object, each at its field path.
FieldErrors ValidateApplied(const v1alpha1::Unikernel& prepared);

// "Unikernel default/web: spec.replicas: must be >= 0; metadata.name: ..."
std::string FormatObjectErrors(const v1alpha1::Unikernel& object, const FieldErrors& errors);

// The object to Update: the stored one with the applied spec, labels and
// annotations (system annotations kept unless overridden), its finalizers and
// resourceVersion (the update's precondition). A restart marker in the stored
// template survives a re-apply of a template without one, so that a periodic
// re-apply (GitOps) does not undo `rollout restart`. Like kubectl apply, a
// manifest that leaves out spec.replicas or spec.paused (`sent`, the client's
// object before defaults) keeps what `scale` or `rollout pause` set.
v1alpha1::Unikernel MergeForApply(const v1alpha1::Unikernel& stored,
                                  const v1alpha1::Unikernel& applied,
                                  const v1alpha1::Unikernel& sent);

// The object to Create: the prepared one with the controller's finalizer, so
// that a deletion waits for its instances to stop.
v1alpha1::Unikernel PrepareCreate(const v1alpha1::Unikernel& applied);

// A source that names a blob of the artifact store only (no path, no URL), and
// where in the object it is.
struct ArtifactReference {
  std::string path;  // spec.template.image.source
  std::string digest;
  bool operator==(const ArtifactReference&) const = default;
};

// The artifact-store sources of a template, in field order.
std::vector<ArtifactReference> ArtifactReferences(const v1alpha1::UnikernelTemplate& tmpl);

// The digests of every source with a sha256 (URL sources included: agents may
// cache them in the store too).
std::set<std::string> ReferencedDigests(const v1alpha1::UnikernelTemplate& tmpl);

// An equality-based label selector, as kubectl -l: "a=b,c==d,e!=f,g,!h".
struct LabelRequirement {
  enum class Op { kEquals, kNotEquals, kExists, kNotExists };
  std::string key;
  Op op = Op::kEquals;
  std::string value;
  bool operator==(const LabelRequirement&) const = default;
};
using LabelSelector = std::vector<LabelRequirement>;

// InvalidArgument naming the bad term.
[[nodiscard]] absl::StatusOr<LabelSelector> ParseLabelSelector(std::string_view text);
bool Matches(const LabelSelector& selector, const ports::Labels& labels);

// The key of an object; an empty namespace is "default".
ports::ObjectKey KeyOf(std::string_view ns, std::string_view name);

}  // namespace nanoplane::controller::application
