#pragma once

// The Kubernetes objects behind KubeStore, as pure functions: REST paths, and
// the conversions between the Store's records and the JSON the API server
// keeps:
//   Unikernel       nanoplane.dev/v1alpha1 Unikernel (the CRD), status subresource
//   RevisionRecord  apps/v1 ControllerRevision, labelled with its Unikernel and
//                   owned by it; the template in .data (immutable), the times
//                   in annotations (the progress time moves)
//   EventRecord     events.k8s.io/v1 Event, with a series for repeats
//   HostRecord      nanoplane.dev/v1alpha1 Host (cluster-scoped): the agent's
//                   labels and capacity in .status, a person's labels in
//                   .metadata.labels (they win), a Ready condition
//   LeaseRecord     coordination.k8s.io/v1 Lease
// Objects are decoded leniently: fields the server adds (managedFields,
// ownerReferences, ...) are ignored.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api.h"
#include "common/json.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::kube_resources {

inline constexpr std::string_view kUnikernelLabel = "nanoplane.dev/unikernel";
inline constexpr std::string_view kTemplateHashLabel = "nanoplane.dev/template-hash";
inline constexpr std::string_view kCreatedAnnotation = "nanoplane.dev/created-time";
inline constexpr std::string_view kProgressAnnotation = "nanoplane.dev/progress-time";
inline constexpr std::string_view kReportingController = "nanoplane.dev/controller";

// --- Paths --------------------------------------------------------------------

// "/apis/nanoplane.dev/v1alpha1[/namespaces/NS]/unikernels"; nullopt: every namespace.
std::string UnikernelsPath(const std::optional<std::string>& ns);
std::string UnikernelPath(const ports::ObjectKey& key);
std::string RevisionsPath(const std::string& ns);
std::string RevisionPath(const std::string& ns, const std::string& name);
std::string EventsPath(const std::optional<std::string>& ns);
std::string EventPath(const std::string& ns, const std::string& name);
std::string HostsPath();
std::string HostPath(const std::string& name);
std::string LeasePath(const std::string& ns, const std::string& name);
std::string LeasesPath(const std::string& ns);

// --- Times --------------------------------------------------------------------

// metav1.MicroTime: "2006-01-02T15:04:05.000000Z". (core::ParseTimestamp
// reads both it and metav1.Time.)
std::string FormatMicroTime(absl::Time time);

// --- Unikernels ---------------------------------------------------------------

// The object as the API server takes it (apiVersion and kind set); without
// .status unless `with_status`.
Json UnikernelToJson(const v1alpha1::Unikernel& object, bool with_status);
// Internal naming the object when it does not decode.
[[nodiscard]] absl::StatusOr<v1alpha1::Unikernel> UnikernelFromJson(const Json& json);

// --- Revisions ----------------------------------------------------------------

// The ControllerRevision's name: "<unikernel>-<first 10 of the hash>", as the
// Deployment controller names its ReplicaSets.
std::string RevisionName(const ports::RevisionRecord& revision);
Json RevisionToJson(const ports::RevisionRecord& revision);
[[nodiscard]] absl::StatusOr<ports::RevisionRecord> RevisionFromJson(const Json& json);

// --- Events -------------------------------------------------------------------

// A new events.k8s.io/v1 Event for `event` (count 1), named `name`.
Json NewEventJson(const ports::EventRecord& event, const std::string& name,
                  const std::string& reporting_instance);
// The merge patch that counts one more occurrence at `event.last_time`.
Json EventSeriesPatch(int32_t count, absl::Time last_time);
// Internal when the times do not parse.
[[nodiscard]] absl::StatusOr<ports::EventRecord> EventFromJson(const Json& json);
// The namespace an event about `object` goes in: its own, or "default" for a
// cluster-scoped object (as Kubernetes does for Nodes).
std::string EventNamespace(const ports::ObjectReference& object);

// --- Hosts --------------------------------------------------------------------

Json NewHostJson(const std::string& name);
// `stored` (the Host as read) with the record's status written in.
Json HostWithStatus(Json stored, const ports::HostRecord& host);
// The record, with a person's labels over the agent's. Internal when the
// heartbeat time does not parse.
[[nodiscard]] absl::StatusOr<ports::HostRecord> HostFromJson(const Json& json);

// --- Leases -------------------------------------------------------------------

struct LeaseSpec {
  std::string holder;
  absl::Time acquire_time = absl::InfinitePast();
  absl::Time renew_time = absl::InfinitePast();
  absl::Duration duration = absl::ZeroDuration();
  int32_t transitions = 0;
  std::string raw_renew_time;  // as stored, to tell a renewal from a repeat read
};
[[nodiscard]] absl::StatusOr<LeaseSpec> LeaseSpecFromJson(const Json& lease);
// `lease` (a stored Lease, or an empty object for a new one) with `spec`.
Json LeaseWithSpec(Json lease, const std::string& ns, const std::string& name,
                   const LeaseSpec& spec);

}  // namespace nanoplane::controller::kube_resources
