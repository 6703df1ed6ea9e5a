#pragma once

// Test helpers for the agent app: assignments written briefly, and a fixture
// holding a FakeVmDriver, a FakeControllerLink, a counting build function, a
// settable prober and a simulated clock.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "agent/app/agent.h"
#include "agent/app/fake_controller_link.h"
#include "agent/testing/fake_vm_driver.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::app::testing {

struct InstanceOptions {
  std::string name = "web-0";
  std::string spec_hash = "h1";
  std::string uid = "u1";
  v1alpha1::RestartPolicy restart_policy = v1alpha1::ALWAYS;
  bool readiness = false;  // HTTP GET / on port "http"
  bool liveness = false;   // TCP on 8080, period 1 s, failure threshold 1
};

v1::InstanceAssignment MakeInstance(const InstanceOptions& options);
v1::Assignment MakeAssignment(int64_t generation, std::vector<v1::InstanceAssignment> instances);

class AgentFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new Agent over the fixture's driver, link and state dir.
  std::unique_ptr<Agent> NewAgent();
  // Rounds until the plan settles (each round waits for what it dispatched).
  void Converge(Agent& agent, int rounds = 6);
  void Advance(absl::Duration d);
  absl::Time now() const;
  v1::InstanceReport ReportOf(Agent& agent, const std::string& name);

  std::string state_dir_;
  nanoplane::agent::testing::FakeVmDriver driver_;
  FakeControllerLink link_;
  std::atomic<int> builds_{0};
  std::atomic<bool> probe_ok_{true};
  absl::Status build_error_;  // returned by builds when not OK
  AgentOptions options_;

 private:
  mutable absl::Mutex clock_mu_;
  absl::Time now_ ABSL_GUARDED_BY(clock_mu_) = absl::FromUnixSeconds(1'700'000'000);
};

}  // namespace nanoplane::agent::app::testing
