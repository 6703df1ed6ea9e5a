// The controller app over FakeStore, FakeAgentHub and simulated agents: apply,
// scale, rolling update, pause, delete, status conflicts.

#include "controller/app/controller.h"

#include <gtest/gtest.h>

#include "controller/app/controller_test_harness.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::app::testing {
namespace {

class ControllerTest : public ControllerHarness {
 protected:
  void SetUp() override {
    AddAgents(3);
    StartController();
  }
};

TEST_F(ControllerTest, ApplyRunsTheReplicasAndReportsThemReady) {
  Apply(MakeUnikernel("web", 3));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  v1alpha1::Unikernel object = Get("web");
  EXPECT_EQ(object.metadata().finalizers_size(), 1);
  EXPECT_EQ(object.metadata().finalizers(0), core::kFinalizer);
  std::set<std::string> hosts;
  for (const v1alpha1::InstanceStatus& instance : object.status().instances()) {
    EXPECT_EQ(instance.phase(), v1alpha1::RUNNING);
    EXPECT_TRUE(instance.ready());
    hosts.insert(instance.host());
  }
  EXPECT_EQ(hosts.size(), 3u) << "spread over the three hosts";
  EXPECT_EQ(object.status().current_revision(), 1);
  absl::StatusOr<std::vector<ports::RevisionRecord>> revisions =
      store_.ListRevisions({.name = "web"});
  ASSERT_TRUE(revisions.ok());
  EXPECT_EQ(revisions->size(), 1u);
  // The gauges are refreshed at most every gauge_period.
  std::string text;
  EXPECT_TRUE(WaitFor([&] {
    text = metrics_->Render();
    return text.find("nanoplane_instances{phase=\"Running\"} 3") != std::string::npos;
  })) << text;
  EXPECT_NE(text.find("nanoplane_hosts{state=\"Ready\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("nanoplane_reconcile_duration_seconds_count"), std::string::npos);
}

TEST_F(ControllerTest, ScalesUpAndDown) {
  Apply(MakeUnikernel("web", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
  Change("web", [](v1alpha1::Unikernel& o) { o.mutable_spec()->set_replicas(5); });
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 5); })) << Describe("web");
  std::map<std::string, std::string> five = Running("web");
  Change("web", [](v1alpha1::Unikernel& o) { o.mutable_spec()->set_replicas(1); });
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 1); })) << Describe("web");
  EXPECT_TRUE(five.contains(Running("web").begin()->first)) << "scale down keeps one of the five";
}

TEST_F(ControllerTest, RollingUpdateCompletesWithinTheSurgeAndUnavailabilityBounds) {
  Apply(MakeUnikernel("web", 4));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 4); })) << Describe("web");
  Change("web", [](v1alpha1::Unikernel& o) {
    o.mutable_spec()->mutable_template_()->mutable_image()->set_args(0, "v2");
  });
  // maxSurge 25% of 4 = 1, maxUnavailable 25% of 4 = 1. Counted as the
  // Deployment bounds count: instances still assigned (a stopping one that its
  // agent has not stopped yet runs on, but no longer counts).
  int most = 0;
  int fewest_ready = 4;
  bool done = WaitFor([&] {
    int assigned = 0;
    for (const auto& agent : agents_) {
      std::optional<agent::v1::Assignment> a = hub_.AssignmentFor(agent->host().name());
      assigned += a.has_value() ? a->instances_size() : 0;
    }
    most = std::max(most, assigned);
    int ready = 0;
    for (const auto& agent : agents_) {
      agent::v1::Report reported = agent->host().Report();
      for (const auto& report : reported.instances()) {
        ready += report.ready();
      }
    }
    fewest_ready = std::min(fewest_ready, ready);
    return Converged("web", 4);
  });
  ASSERT_TRUE(done) << Describe("web");
  EXPECT_LE(most, 5);
  EXPECT_GE(fewest_ready, 3);
  EXPECT_EQ(Get("web").status().current_revision(), 2);
}

TEST_F(ControllerTest, PausedRolloutStartsNothingNewUntilResumed) {
  Apply(MakeUnikernel("web", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
  std::map<std::string, std::string> before = Running("web");
  Change("web", [](v1alpha1::Unikernel& o) {
    o.mutable_spec()->set_paused(true);
    o.mutable_spec()->mutable_template_()->mutable_image()->set_args(0, "v2");
  });
  ASSERT_TRUE(WaitFor([&] {
    return Get("web").status().observed_generation() == Get("web").metadata().generation();
  }));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(Running("web"), before);
  Change("web", [](v1alpha1::Unikernel& o) { o.mutable_spec()->set_paused(false); });
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
}

TEST_F(ControllerTest, DeleteStopsTheInstancesThenRemovesTheFinalizer) {
  Apply(MakeUnikernel("web", 3));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  ASSERT_TRUE(store_.Delete({.name = "web"}, {}).ok());
  ASSERT_TRUE(WaitFor([&] { return absl::IsNotFound(store_.Get({.name = "web"}).status()); }))
      << Describe("web");
  EXPECT_TRUE(Running("web").empty());
  EXPECT_TRUE(controller_->table().ForKey({.name = "web"}).empty());
}

TEST_F(ControllerTest, AStatusConflictIsRetriedByReReading) {
  store_.FailNext(StoreOp::kUpdateStatus, absl::AbortedError("conflict"), 3);
  Apply(MakeUnikernel("web", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
  EXPECT_GE(store_.Calls(StoreOp::kUpdateStatus), 4);
}

// kubectl can store what `nanoplane apply` refuses (a CRD cannot express every
// rule). The controller says so in the status and an event, once, leaves the
// running instances alone, and acts again when the spec is fixed.
TEST_F(ControllerTest, AnInvalidSpecIsReportedOnceAndItsInstancesAreLeftAlone) {
  Apply(MakeUnikernel("web", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
  std::map<std::string, std::string> running = Running("web");
  Change("web", [](v1alpha1::Unikernel& o) {
    o.mutable_spec()->set_replicas(-1);
    o.mutable_spec()->mutable_template_()->mutable_image()->set_args(0, "v2");
  });
  auto invalid = [&] {
    v1alpha1::Unikernel web = Get("web");
    for (const v1alpha1::Condition& c : web.status().conditions()) {
      if (c.type() == "Degraded" && c.reason() == "InvalidSpec" && c.status() == v1alpha1::TRUE) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitFor(invalid)) << Describe("web");
  EXPECT_EQ(Get("web").status().observed_generation(), Get("web").metadata().generation());
  int writes = store_.Calls(StoreOp::kUpdateStatus);
  absl::SleepFor(absl::Milliseconds(500));  // retries with back-off would come by now
  EXPECT_EQ(store_.Calls(StoreOp::kUpdateStatus), writes) << "terminal: not retried";
  EXPECT_EQ(Running("web"), running) << "nothing started or stopped";
  absl::StatusOr<std::vector<ports::EventRecord>> events = store_.ListEvents({.name = "web"});
  ASSERT_TRUE(events.ok());
  int told = 0;
  for (const ports::EventRecord& event : *events) {
    if (event.reason == "InvalidSpec") {
      ++told;
      EXPECT_EQ(event.type, ports::EventType::kWarning);
      EXPECT_EQ(event.count, 1);
      EXPECT_NE(event.message.find("spec.replicas"), std::string::npos) << event.message;
    }
  }
  EXPECT_EQ(told, 1);
  Change("web", [](v1alpha1::Unikernel& o) { o.mutable_spec()->set_replicas(2); });
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2) && !invalid(); })) << Describe("web");
  EXPECT_NE(Running("web"), running) << "the fixed spec (args v2) rolled out";
}

TEST_F(ControllerTest, AnInvalidUnikernelCanBeDeleted) {
  Apply(MakeUnikernel("web", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
  Change("web", [](v1alpha1::Unikernel& o) { o.mutable_spec()->set_replicas(-1); });
  ASSERT_TRUE(WaitFor([&] {
    v1alpha1::Unikernel web = Get("web");
    return std::any_of(web.status().conditions().begin(), web.status().conditions().end(),
                       [](const v1alpha1::Condition& c) { return c.reason() == "InvalidSpec"; });
  })) << Describe("web");
  ASSERT_TRUE(store_.Delete({.name = "web"}, {}).ok());
  EXPECT_TRUE(WaitFor([&] { return absl::IsNotFound(store_.Get({.name = "web"}).status()); }))
      << "its instances stopped and the finalizer removed: " << Describe("web");
  EXPECT_TRUE(Running("web").empty());
}

TEST_F(ControllerTest, StoreOutagesAreRetriedWithBackOff) {
  store_.FailNext(StoreOp::kListRevisions, absl::UnavailableError("busy"), 4);
  Apply(MakeUnikernel("web", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
  EXPECT_NE(metrics_->Render().find("nanoplane_reconcile_errors_total{code=\"UNAVAILABLE\"}"),
            std::string::npos)
      << metrics_->Render();
}

TEST_F(ControllerTest, AWatchThatFellBehindRelistsAndMissesNothing) {
  Apply(MakeUnikernel("web", 1));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 1); })) << Describe("web");
  store_.ExpireHistory();
  Apply(MakeUnikernel("api", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("api", 2); })) << Describe("api");
}

TEST_F(ControllerTest, ACrashedInstanceIsReplaced) {
  Apply(MakeUnikernel("web", 2));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 2); })) << Describe("web");
  std::string victim = Running("web").begin()->first;
  for (const auto& agent : agents_) {
    agent->host().Fail(victim);
  }
  ASSERT_TRUE(WaitFor([&] { return !Running("web").contains(victim) && Converged("web", 2); }))
      << Describe("web");
}

// An agent that acknowledges an assignment before it reports the new
// instances (as one whose report was taken before the VM was defined): the
// expectation recorded at the start keeps them Pending, not lost, so no
// replacement (a duplicate) is started.
TEST(ControllerExpectationsTest, AnAgentSlowToReportGetsNoDuplicates) {
  FakeStore store;
  FakeAgentHub hub;
  SimulatedAgent slow(hub, {.name = "h1", .report_delay = absl::Milliseconds(600)});
  ASSERT_TRUE(WaitFor([&] { return hub.Connected("h1"); }));
  MetricsRegistry metrics;
  Controller controller(store, hub, metrics, FastOptions());
  controller.Start();
  ASSERT_TRUE(store.Create(MakeUnikernel("web", 2)).ok());
  std::set<std::string> ever_assigned;
  ASSERT_TRUE(WaitFor([&] {
    std::optional<agent::v1::Assignment> assignment = hub.AssignmentFor("h1");
    if (assignment.has_value()) {
      for (const auto& instance : assignment->instances()) {
        ever_assigned.insert(instance.identity().name());
      }
    }
    absl::StatusOr<v1alpha1::Unikernel> object = store.Get({.name = "web"});
    return object.ok() && object->status().ready_replicas() == 2;
  }));
  EXPECT_EQ(ever_assigned.size(), 2u);
  EXPECT_EQ(slow.host().Running().size(), 2u);
}

}  // namespace
}  // namespace nanoplane::controller::app::testing
