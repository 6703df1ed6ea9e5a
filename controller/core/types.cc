#include "controller/core/types.h"

namespace nanoplane::controller::core {

const char* ConditionStatusName(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "?";
}

void PrintTo(const Condition& c, std::ostream* os) {
  *os << "{" << c.type << "=" << ConditionStatusName(c.status) << " " << c.reason << " \""
      << c.message << "\" @" << absl::FormatTime(c.last_transition_time, absl::UTCTimeZone())
      << "}";
}

void PrintTo(const InstanceStatus& i, std::ostream* os) {
  *os << "{" << i.name << " on " << i.host << " rev " << i.revision << " " << PhaseName(i.phase)
      << (i.ready ? " ready" : "") << " restarts " << i.restarts << "}";
}

void PrintTo(const UnikernelStatus& s, std::ostream* os) {
  *os << "{gen " << s.observed_generation << " replicas " << s.replicas << " updated "
      << s.updated_replicas << " ready " << s.ready_replicas << " available "
      << s.available_replicas << " unavailable " << s.unavailable_replicas << " current "
      << s.current_revision << " update " << s.update_revision << " selector " << s.selector
      << " conditions [";
  for (const Condition& c : s.conditions) {
    PrintTo(c, os);
  }
  *os << "] instances [";
  for (const InstanceStatus& i : s.instances) {
    PrintTo(i, os);
  }
  *os << "]}";
}

void PrintTo(const Revision& r, std::ostream* os) {
  *os << "{revision " << r.number << " " << r.hash.substr(0, 10) << " created "
      << absl::FormatTime(r.created_time, absl::UTCTimeZone()) << " progress "
      << absl::FormatTime(r.progress_time, absl::UTCTimeZone()) << "}";
}

void PrintTo(const Instance& i, std::ostream* os) {
  *os << "{" << i.name << " on " << i.host << " " << i.revision_hash.substr(0, 10) << " "
      << PhaseName(i.phase) << (i.ready ? " ready" : "") << (i.stop_requested ? " stopping" : "")
      << "}";
}

}  // namespace nanoplane::controller::core
