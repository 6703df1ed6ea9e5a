#pragma once

// A controller over FakeStore and FakeAgentHub with simulated agents, on real
// but short times (grace 300 ms, eviction 1 s, boots 100 ms), for the app's
// behaviour tests.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/testing/net_wait.h"
#include "controller/app/controller.h"
#include "controller/app/testing_fake_hub.h"
#include "controller/testing/fake_store.h"

namespace nanoplane::controller::app::testing {

using ::nanoplane::test_support::WaitFor;

v1alpha1::Unikernel MakeUnikernel(const std::string& name, int replicas,
                                  const std::string& arg = "v1");

ControllerOptions FastOptions();

class ControllerHarness : public ::testing::Test {
 protected:
  ControllerHarness();
  ~ControllerHarness() override;

  void AddAgents(int count);
  // A new Controller (after stopping any previous one); waits until Ready.
  void StartController();
  void StopController();

  v1alpha1::Unikernel Get(const std::string& name);
  // Creates the Unikernel, or updates its spec with `change`.
  void Apply(const v1alpha1::Unikernel& object);
  void Change(const std::string& name, const std::function<void(v1alpha1::Unikernel&)>& change);

  // Every instance of `name` that an agent runs: instance name -> spec hash.
  std::map<std::string, std::string> Running(const std::string& name);
  // Rollout done: `replicas` ready instances of the current template and
  // nothing else running, and the status saying so.
  bool Converged(const std::string& name, int replicas);
  std::string Describe(const std::string& name);

  FakeStore store_;
  FakeAgentHub hub_;
  std::vector<std::unique_ptr<SimulatedAgent>> agents_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<Controller> controller_;
};

}  // namespace nanoplane::controller::app::testing
