#include "controller/core/convert.h"

#include <algorithm>

#include "common/codec.h"
#include "common/defaults.h"
#include "common/instance_state_proto.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller::core {
namespace {

namespace api = ::nanoplane::v1alpha1;

constexpr char kTimeFormat[] = "%Y-%m-%d%ET%H:%M:%SZ";

// The core's condition statuses follow the API's order, one below (no UNSPECIFIED).
static_assert(static_cast<int>(ConditionStatus::kTrue) + 1 == api::TRUE);
static_assert(static_cast<int>(ConditionStatus::kUnknown) + 1 == api::UNKNOWN);

absl::StatusOr<IntOrPercent> FromIntOrString(const api::IntOrString& value, std::string_view path) {
  if (value.has_int_value()) {
    return IntOrPercent{value.int_value(), false};
  }
  if (!value.has_string_value()) {
    return IntOrPercent{25, true};  // unset (Recreate is not defaulted): the API's default
  }
  std::string_view text = value.string_value();
  std::optional<int64_t> number;
  if (!text.empty() && text.back() == '%') {
    number = ParseInt64(text.substr(0, text.size() - 1));
  }
  if (!number.has_value() || *number < 0) {
    return absl::InvalidArgumentError(
        StrCat(path, ": \"", text, "\" is neither an integer nor a percentage"));
  }
  return IntOrPercent{*number, true};
}

ConditionStatus ConditionStatusFromProto(api::ConditionStatus status) {
  switch (status) {
    case api::TRUE:
      return ConditionStatus::kTrue;
    case api::FALSE:
      return ConditionStatus::kFalse;
    default:
      return ConditionStatus::kUnknown;
  }
}

absl::StatusOr<std::optional<absl::Time>> OptionalTime(const std::string& text) {
  if (text.empty()) {
    return std::optional<absl::Time>();
  }
  NP_ASSIGN_OR_RETURN(absl::Time time, ParseTimestamp(text));
  return std::optional<absl::Time>(time);
}

void SpecFromProto(const api::UnikernelSpec& spec, DesiredUnikernel& out) {
  out.replicas = spec.replicas();
  out.paused = spec.paused();
  out.min_ready_seconds = spec.min_ready_seconds();
  out.progress_deadline_seconds = spec.progress_deadline_seconds();
  out.revision_history_limit = spec.revision_history_limit();
  out.strategy = spec.strategy().type() == api::RECREATE ? StrategyType::kRecreate
                                                         : StrategyType::kRollingUpdate;
  out.host_selector =
      Labels(spec.placement().host_selector().begin(), spec.placement().host_selector().end());
  out.spread.max_skew = spec.placement().spread().max_skew();
  out.spread.when_unsatisfiable =
      spec.placement().spread().when_unsatisfiable() == api::DO_NOT_SCHEDULE
          ? WhenUnsatisfiable::kDoNotSchedule
          : WhenUnsatisfiable::kScheduleAnyway;
  out.tmpl = TemplateFromProto(spec.template_());
}

api::InstanceStatus InstanceToProto(const InstanceStatus& in) {
  api::InstanceStatus out;
  out.set_name(in.name);
  out.set_host(in.host);
  out.set_revision(in.revision);
  out.set_phase(PhaseToProto(in.phase));
  out.set_ready(in.ready);
  out.set_restarts(in.restarts);
  out.set_address(in.address);
  for (const PortStatus& port : in.ports) {
    api::PortStatus* p = out.add_ports();
    p->set_name(port.name);
    p->set_port(port.port);
    p->set_protocol(port.protocol == "UDP" ? api::UDP : api::TCP);
    p->set_host_ip(port.host_ip);
    p->set_host_port(port.host_port);
  }
  out.set_message(in.message);
  if (in.exit_code.has_value()) {
    out.set_exit_code(*in.exit_code);
  }
  if (in.started_time.has_value()) {
    out.set_started_at(FormatTimestamp(*in.started_time));
  }
  return out;
}

absl::StatusOr<InstanceStatus> InstanceFromProto(const api::InstanceStatus& in) {
  InstanceStatus out{.name = in.name(),
                     .host = in.host(),
                     .revision = in.revision(),
                     .phase = PhaseFromProto(in.phase()).value_or(InstancePhase::kPending),
                     .ready = in.ready(),
                     .restarts = in.restarts(),
                     .address = in.address(),
                     .message = in.message()};
  for (const api::PortStatus& port : in.ports()) {
    out.ports.push_back(PortStatus{.name = port.name(),
                                   .port = port.port(),
                                   .protocol = port.protocol() == api::UDP ? "UDP" : "TCP",
                                   .host_ip = port.host_ip(),
                                   .host_port = port.host_port()});
  }
  if (in.has_exit_code()) {
    out.exit_code = in.exit_code();
  }
  NP_ASSIGN_OR_RETURN(out.started_time, OptionalTime(in.started_at()));
  return out;
}

}  // namespace

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime(kTimeFormat, time, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text) {
  if (text.empty()) {
    return absl::InfinitePast();
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is not an RFC 3339 time: ", error));
  }
  return time;
}

Template TemplateFromProto(const api::UnikernelTemplate& tmpl) {
  Template out;
  out.canonical = EncodeMessage(tmpl).dump();
  out.hash = Sha256Hex(out.canonical);
  out.resources.memory_bytes = tmpl.resources().memory();
  out.resources.cpus = tmpl.resources().cpus();
  return out;
}

absl::StatusOr<DesiredUnikernel> DesiredFromProto(const api::Unikernel& object) {
  api::Unikernel defaulted = object;
  DefaultUnikernel(defaulted);
  const api::ObjectMeta& meta = defaulted.metadata();
  DesiredUnikernel out;
  out.ns = meta.namespace_();
  out.name = meta.name();
  out.generation = meta.generation();
  out.deleting = !meta.deletion_timestamp().empty();
  out.has_finalizer = std::find(meta.finalizers().begin(), meta.finalizers().end(),
                                std::string(kFinalizer)) != meta.finalizers().end();
  SpecFromProto(defaulted.spec(), out);
  const api::RollingUpdate& rolling = defaulted.spec().strategy().rolling_update();
  NP_ASSIGN_OR_RETURN(out.max_surge,
                      FromIntOrString(rolling.max_surge(), "spec.strategy.rollingUpdate.maxSurge"));
  NP_ASSIGN_OR_RETURN(
      out.max_unavailable,
      FromIntOrString(rolling.max_unavailable(), "spec.strategy.rollingUpdate.maxUnavailable"));
  absl::StatusOr<UnikernelStatus> status = StatusFromProto(defaulted.status());
  if (!status.ok()) {
    return Annotate(status.status(), "status");
  }
  out.status = *std::move(status);
  return out;
}

api::UnikernelStatus StatusToProto(const UnikernelStatus& in) {
  api::UnikernelStatus out;
  out.set_observed_generation(in.observed_generation);
  out.set_replicas(in.replicas);
  out.set_updated_replicas(in.updated_replicas);
  out.set_ready_replicas(in.ready_replicas);
  out.set_available_replicas(in.available_replicas);
  out.set_unavailable_replicas(in.unavailable_replicas);
  out.set_current_revision(in.current_revision);
  out.set_update_revision(in.update_revision);
  for (const Condition& c : in.conditions) {
    api::Condition* p = out.add_conditions();
    p->set_type(c.type);
    p->set_status(static_cast<api::ConditionStatus>(static_cast<int>(c.status) + 1));
    p->set_reason(c.reason);
    p->set_message(c.message);
    p->set_last_transition_time(FormatTimestamp(c.last_transition_time));
  }
  for (const InstanceStatus& instance : in.instances) {
    *out.add_instances() = InstanceToProto(instance);
  }
  out.set_selector(in.selector);
  return out;
}

absl::StatusOr<UnikernelStatus> StatusFromProto(const api::UnikernelStatus& in) {
  UnikernelStatus out{.observed_generation = in.observed_generation(),
                      .replicas = in.replicas(),
                      .updated_replicas = in.updated_replicas(),
                      .ready_replicas = in.ready_replicas(),
                      .available_replicas = in.available_replicas(),
                      .unavailable_replicas = in.unavailable_replicas(),
                      .current_revision = in.current_revision(),
                      .update_revision = in.update_revision(),
                      .selector = in.selector()};
  for (const api::Condition& c : in.conditions()) {
    NP_ASSIGN_OR_RETURN(absl::Time time, ParseTimestamp(c.last_transition_time()));
    out.conditions.push_back(Condition{.type = c.type(),
                                       .status = ConditionStatusFromProto(c.status()),
                                       .reason = c.reason(),
                                       .message = c.message(),
                                       .last_transition_time = time});
  }
  for (const api::InstanceStatus& instance : in.instances()) {
    NP_ASSIGN_OR_RETURN(InstanceStatus converted, InstanceFromProto(instance));
    out.instances.push_back(std::move(converted));
  }
  return out;
}

}  // namespace nanoplane::controller::core
