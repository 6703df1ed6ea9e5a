#include "agent/core/actions.h"

#include <sstream>

namespace nanoplane::agent::core {

void PrintTo(const BuildImage& a, std::ostream* os) {
  *os << "BuildImage{" << a.spec_hash << " for " << a.instance << "}";
}

void PrintTo(const StartInstance& a, std::ostream* os) {
  *os << "StartInstance{" << a.identity.name << " " << a.identity.spec_hash << " image "
      << a.image_key << "}";
}

void PrintTo(const RestartInstance& a, std::ostream* os) {
  *os << "RestartInstance{" << a.name << ": " << a.reason << "}";
}

void PrintTo(const StopInstance& a, std::ostream* os) {
  *os << "StopInstance{" << a.name << (a.graceful ? " graceful" : " force") << ": " << a.reason
      << "}";
}

void PrintTo(const DeleteInstance& a, std::ostream* os) {
  *os << "DeleteInstance{" << a.name << ": " << a.reason << "}";
}

void PrintTo(const Action& action, std::ostream* os) {
  std::visit([os](const auto& a) { PrintTo(a, os); }, action);
}

std::string ToString(const Action& action) {
  std::ostringstream out;
  PrintTo(action, &out);
  return out.str();
}

}  // namespace nanoplane::agent::core
