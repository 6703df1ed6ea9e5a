#include "controller/core/test_util.h"

#include <variant>

#include "common/sha256.h"
#include "common/strings.h"
#include "controller/core/naming.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core::testing {

absl::Time At(int64_t seconds) { return absl::FromUnixSeconds(1'700'000'000 + seconds); }

Template MakeTemplate(std::string_view tag, Resources resources) {
  return Template{.hash = Sha256Hex(tag), .canonical = std::string(tag), .resources = resources};
}

Revision MakeRevision(int64_t number, const Template& tmpl, absl::Time created) {
  return Revision{.number = number,
                  .hash = tmpl.hash,
                  .canonical = tmpl.canonical,
                  .created_time = created,
                  .progress_time = created};
}

DesiredUnikernel MakeDesired(int32_t replicas, const Template& tmpl, std::string name) {
  DesiredUnikernel desired;
  desired.name = std::move(name);
  desired.generation = 1;
  desired.replicas = replicas;
  desired.tmpl = tmpl;
  return desired;
}

Host MakeHost(std::string name, Labels labels, Resources allocatable) {
  return Host{.name = std::move(name), .labels = std::move(labels), .allocatable = allocatable};
}

Instance RunningInstance(std::string name, std::string host, const Template& tmpl,
                         absl::Time ready_since) {
  return Instance{.name = std::move(name),
                  .host = std::move(host),
                  .revision_hash = tmpl.hash,
                  .phase = InstancePhase::kRunning,
                  .ready = ready_since != absl::InfinitePast(),
                  .ready_since = ready_since,
                  .created_time = At(0)};
}

Instance InstanceIn(InstancePhase phase, std::string name, std::string host, const Template& tmpl) {
  return Instance{.name = std::move(name),
                  .host = std::move(host),
                  .revision_hash = tmpl.hash,
                  .phase = phase,
                  .created_time = At(0)};
}

std::vector<Action> Normalized(const std::vector<Action>& actions, std::string_view unikernel) {
  std::vector<Action> out;
  for (Action action : actions) {
    if (auto* start = std::get_if<StartInstance>(&action)) {
      std::string prefix = StrCat(unikernel, "-", start->revision_hash.substr(0, 10), "-");
      EXPECT_EQ(start->name.substr(0, prefix.size()), prefix);
      EXPECT_EQ(start->name.size(), prefix.size() + 5) << start->name;
      EXPECT_EQ(start->name.find_first_not_of(kNameAlphabet, prefix.size()), std::string::npos)
          << start->name;
      start->name = "<new>";
    }
    if (auto* patch = std::get_if<PatchStatus>(&action)) {
      patch->status = UnikernelStatus{};
    }
    out.push_back(std::move(action));
  }
  return out;
}

Action Start(std::string host, const Template& tmpl, int64_t revision) {
  return StartInstance{.name = "<new>",
                       .host = std::move(host),
                       .revision = revision,
                       .revision_hash = tmpl.hash,
                       .resources = tmpl.resources};
}

Action Stop(std::string name, std::string host, std::string reason) {
  return StopInstance{std::move(name), std::move(host), std::move(reason)};
}

Action Delete(std::string name, std::string host) {
  return DeleteInstance{std::move(name), std::move(host)};
}

Action Patch() { return PatchStatus{}; }

}  // namespace nanoplane::controller::core::testing
