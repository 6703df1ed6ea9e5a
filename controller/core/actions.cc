#include "controller/core/actions.h"

#include <sstream>

namespace nanoplane::controller::core {

void PrintTo(const CreateRevision& a, std::ostream* os) {
  *os << "CreateRevision";
  PrintTo(a.revision, os);
}

void PrintTo(const UpdateRevision& a, std::ostream* os) {
  *os << "UpdateRevision";
  PrintTo(a.revision, os);
}

void PrintTo(const DeleteRevision& a, std::ostream* os) {
  *os << "DeleteRevision{" << a.number << " " << a.hash.substr(0, 10) << "}";
}

void PrintTo(const StartInstance& a, std::ostream* os) {
  *os << "StartInstance{" << a.name << " on " << a.host << " rev " << a.revision << " mem "
      << a.resources.memory_bytes << " cpus " << a.resources.cpus << "}";
}

void PrintTo(const StopInstance& a, std::ostream* os) {
  *os << "StopInstance{" << a.name << " on " << a.host << ": " << a.reason << "}";
}

void PrintTo(const DeleteInstance& a, std::ostream* os) {
  *os << "DeleteInstance{" << a.name << " on " << a.host << "}";
}

void PrintTo(const PatchStatus& a, std::ostream* os) {
  *os << "PatchStatus";
  PrintTo(a.status, os);
}

void PrintTo(const RecordEvent& a, std::ostream* os) {
  *os << "RecordEvent{" << (a.type == EventType::kWarning ? "Warning " : "Normal ") << a.reason
      << ": " << a.message << "}";
}

void PrintTo(const RemoveFinalizer&, std::ostream* os) { *os << "RemoveFinalizer{}"; }

void PrintTo(const Action& action, std::ostream* os) {
  std::visit([os](const auto& a) { PrintTo(a, os); }, action);
}

std::string ToString(const Action& action) {
  std::ostringstream out;
  PrintTo(action, &out);
  return out.str();
}

}  // namespace nanoplane::controller::core
