#include "agent/app/convert.h"

#include "common/instance_state_proto.h"

namespace nanoplane::agent::app {
namespace {

core::RestartPolicy ToCore(v1alpha1::RestartPolicy policy) {
  switch (policy) {
    case v1alpha1::ON_FAILURE:
      return core::RestartPolicy::kOnFailure;
    case v1alpha1::NEVER:
      return core::RestartPolicy::kNever;
    default:
      return core::RestartPolicy::kAlways;
  }
}

}  // namespace

core::InstanceIdentity ToCore(const v1::InstanceIdentity& id) {
  return {.name = id.name(),
          .ns = id.namespace_(),
          .unikernel = id.unikernel(),
          .uid = id.uid(),
          .revision = id.revision(),
          .spec_hash = id.spec_hash()};
}

core::InstanceIdentity ToCore(const InstanceIdentity& id) {
  return {.name = id.name,
          .ns = id.namespace_name,
          .unikernel = id.unikernel,
          .uid = id.uid,
          .revision = id.revision,
          .spec_hash = id.spec_hash};
}

InstanceIdentity ToPort(const v1::InstanceIdentity& id) {
  return {.name = id.name(),
          .namespace_name = id.namespace_(),
          .unikernel = id.unikernel(),
          .uid = id.uid(),
          .revision = id.revision(),
          .spec_hash = id.spec_hash()};
}

v1::InstanceIdentity ToProto(const core::InstanceIdentity& id) {
  v1::InstanceIdentity out;
  out.set_name(id.name);
  out.set_namespace_(id.ns);
  out.set_unikernel(id.unikernel);
  out.set_uid(id.uid);
  out.set_revision(id.revision);
  out.set_spec_hash(id.spec_hash);
  return out;
}

bool HasProbeAction(const v1alpha1::Probe& probe) {
  return probe.has_tcp_socket() || probe.has_http_get();
}

std::optional<core::ProbeSpec> ToProbeSpec(const v1alpha1::Probe& probe) {
  if (!HasProbeAction(probe)) {
    return std::nullopt;
  }
  core::ProbeSpec spec;
  if (probe.has_initial_delay_seconds()) {
    spec.initial_delay = absl::Seconds(probe.initial_delay_seconds());
  }
  if (probe.has_period_seconds()) {
    spec.period = absl::Seconds(probe.period_seconds());
  }
  if (probe.has_timeout_seconds()) {
    spec.timeout = absl::Seconds(probe.timeout_seconds());
  }
  if (probe.has_success_threshold()) {
    spec.success_threshold = probe.success_threshold();
  }
  if (probe.has_failure_threshold()) {
    spec.failure_threshold = probe.failure_threshold();
  }
  return spec;
}

core::DesiredInstance ToDesired(const v1::InstanceAssignment& instance,
                                const std::string& image_key) {
  const v1alpha1::UnikernelTemplate& t = instance.template_();
  return {.identity = ToCore(instance.identity()),
          .restart_policy = ToCore(t.restart_policy()),
          .readiness = ToProbeSpec(t.readiness_probe()),
          .liveness = ToProbeSpec(t.liveness_probe()),
          .image_key = image_key};
}

core::ObservedVm ToObserved(const VmInfo& vm) {
  core::ObservedVm out{.name = vm.identity.name,
                       .identity = ToCore(vm.identity),
                       .state = vm.state,
                       .stop_reason = vm.stop_reason,
                       .started_at = vm.started_at};
  if (vm.exit_code.has_value()) {
    out.exit_code = *vm.exit_code;
  }
  return out;
}

v1::Accelerator ToProto(Accelerator accelerator) {
  return accelerator == Accelerator::kKvm ? v1::KVM : v1::TCG;
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

v1::InstanceReport ToProto(const core::InstanceReport& report, const VmInfo* vm) {
  v1::InstanceReport out;
  *out.mutable_identity() = ToProto(report.identity);
  out.set_phase(PhaseToProto(report.phase));
  out.set_ready(report.ready);
  out.set_restarts(report.restarts);
  if (report.exit_code.has_value()) {
    out.set_exit_code(*report.exit_code);
  }
  out.set_message(report.message);
  out.set_reason(report.reason);
  if (report.started_at.has_value()) {
    out.set_started_at(Rfc3339(*report.started_at));
  }
  if (report.ready && report.ready_since.has_value()) {
    out.set_ready_since(Rfc3339(*report.ready_since));
  }
  if (vm == nullptr) {
    return out;
  }
  out.set_address(vm->address);
  for (const PortBinding& binding : vm->ports) {
    v1alpha1::PortStatus* port = out.add_ports();
    port->set_name(binding.forward.name);
    port->set_port(binding.forward.guest_port);
    port->set_protocol(binding.forward.protocol == Protocol::kUdp ? v1alpha1::UDP : v1alpha1::TCP);
    port->set_host_ip(binding.host_address);
    port->set_host_port(binding.forward.host_port);
  }
  return out;
}

}  // namespace nanoplane::agent::app
