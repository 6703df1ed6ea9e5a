#include "controller/app/fleet_view.h"

#include <gtest/gtest.h>

#include "controller/app/expectations.h"
#include "controller/app/testing_fake_hub.h"

namespace nanoplane::controller::app {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);
const absl::Duration kGrace = absl::Seconds(40);

ports::HostSession Session(const std::string& host, bool connected, absl::Time last_seen,
                           int64_t applied = 0) {
  ports::HostSession session{
      .host = host, .connected = connected, .last_seen = last_seen, .applied_generation = applied};
  session.hello.set_host(host);
  (*session.hello.mutable_labels())["zone"] = host;
  session.hello.mutable_capacity()->set_memory_bytes(4LL << 30);
  session.hello.mutable_capacity()->set_cpus(4);
  return session;
}

AssignedInstance Assigned(const std::string& name, int64_t generation, bool stopping = false) {
  AssignedInstance instance{
      .key = {.name = "web"}, .host = "h1", .stop_requested = stopping, .generation = generation};
  auto identity = std::make_shared<agent::v1::InstanceIdentity>();
  identity->set_name(name);
  identity->set_spec_hash("abc");
  instance.assignment.identity = std::move(identity);
  return instance;
}

TEST(FleetViewTest, HostReadinessFollowsConnectionAndGracePeriod) {
  std::vector<ports::HostSession> sessions = {Session("connected", true, kNow - absl::Hours(1)),
                                              Session("recent", false, kNow - absl::Seconds(10)),
                                              Session("gone", false, kNow - absl::Seconds(100))};
  std::vector<ports::HostRecord> registry = {
      {.name = "silent", .memory_bytes = 1 << 30, .cpus = 2, .last_seen = kNow - absl::Hours(2)},
      {.name = "connected"}};
  FleetView view(sessions, registry, {{"connected", {.memory_bytes = 7, .cpus = 1}}}, kNow,
                 {.host_grace_period = kGrace, .started = kNow - absl::Seconds(5)});
  std::map<std::string, core::Host> hosts;
  for (const core::Host& host : view.hosts()) {
    hosts[host.name] = host;
  }
  ASSERT_EQ(hosts.size(), 4u) << "a registered host with a session is listed once";
  EXPECT_TRUE(hosts["connected"].ready);
  EXPECT_EQ(hosts["connected"].assigned, (core::Resources{.memory_bytes = 7, .cpus = 1}));
  EXPECT_EQ(hosts["connected"].allocatable,
            (core::Resources{.memory_bytes = 4LL << 30, .cpus = 4}));
  EXPECT_EQ(hosts["connected"].labels, (core::Labels{{"zone", "connected"}}));
  EXPECT_TRUE(hosts["recent"].ready);
  EXPECT_FALSE(hosts["gone"].ready);
  EXPECT_EQ(hosts["gone"].not_ready_since, kNow - absl::Seconds(60));
  EXPECT_FALSE(hosts["silent"].ready);
  // Not from its old last_seen: the controller's own downtime does not count.
  EXPECT_EQ(hosts["silent"].not_ready_since, kNow - absl::Seconds(5) + kGrace);
  EXPECT_EQ(hosts["silent"].allocatable, (core::Resources{.memory_bytes = 1 << 30, .cpus = 2}));
}

TEST(FleetViewTest, ReportsAreFoundByHostAndName) {
  ports::HostSession session = Session("h1", true, kNow);
  session.instances.emplace_back();
  session.instances.back().mutable_identity()->set_name("web-1");
  FleetView view({session}, {}, {}, kNow, {});
  EXPECT_NE(view.Report("h1", "web-1"), nullptr);
  EXPECT_EQ(view.Report("h2", "web-1"), nullptr);
  EXPECT_TRUE(view.Reported("web-1"));
  EXPECT_FALSE(view.Reported("web-2"));
}

TEST(FleetViewTest, TheCacheKeepsSessionsTheHubDidNotReplace) {
  auto h1 = std::make_shared<const ports::HostSession>(Session("h1", true, kNow));
  auto h2 = std::make_shared<const ports::HostSession>(Session("h2", true, kNow));
  auto registry = std::make_shared<const std::vector<ports::HostRecord>>(
      std::vector<ports::HostRecord>{{.name = "h0"}});
  FleetCache cache;
  std::shared_ptr<const FleetBase> first = cache.Update({h1, h2}, registry, {});
  EXPECT_EQ(cache.Update({h1, h2}, registry, {}), first) << "nothing changed: the same base";
  ports::HostSession changed = *h2;
  changed.instances.emplace_back();
  changed.instances.back().mutable_identity()->set_name("web-1");
  std::shared_ptr<const FleetBase> second =
      cache.Update({h1, std::make_shared<const ports::HostSession>(changed)}, registry, {});
  ASSERT_NE(second, first);
  EXPECT_EQ(second->sessions->at("h1"), first->sessions->at("h1")) << "h1 is not indexed again";
  FleetView view(second, {{"h1", {.cpus = 1}}, {"h2", {.cpus = 2}}}, kNow, {});
  EXPECT_NE(view.Report("h2", "web-1"), nullptr);
  std::vector<std::string> names;
  for (const core::Host& host : view.hosts()) {
    names.push_back(host.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"h0", "h1", "h2"})) << "sorted by name";
  EXPECT_FALSE(view.hosts()[0].ready);
  EXPECT_EQ(view.hosts()[2].assigned.cpus, 2);
  EXPECT_TRUE(view.Reported("web-1"));
  std::shared_ptr<const FleetBase> third = cache.Update({h1, h2}, registry, {});
  EXPECT_FALSE(FleetView(third, {}, kNow, {}).Reported("web-1")) << "h2 no longer reports web-1";
}

TEST(FleetViewTest, ANextViewSharesTheHostsWhileNothingMeasuredChanged) {
  auto h1 = std::make_shared<const ports::HostSession>(Session("h1", false, kNow));
  auto h2 = std::make_shared<const ports::HostSession>(Session("h2", true, kNow));
  FleetCache cache;
  auto registry = std::make_shared<const std::vector<ports::HostRecord>>();
  FleetOptions options{.host_grace_period = absl::Seconds(40)};
  std::shared_ptr<const FleetBase> base = cache.Update({h1, h2}, registry, options);
  AssignedResources assigned = {{"h2", {.cpus = 1}}};
  FleetView first(base, assigned, kNow, options);
  FleetView same(base, assigned, kNow + absl::Seconds(1), options, &first.SharedHosts());
  EXPECT_TRUE(same.SharedHosts().Shares(first.SharedHosts()))
      << "h1 is still within its grace period";

  FleetView late(base, assigned, kNow + absl::Seconds(41), options, &same.SharedHosts());
  EXPECT_FALSE(late.SharedHosts().Shares(first.SharedHosts())) << "h1 became NotReady";
  EXPECT_FALSE(late.hosts()[0].ready);
  EXPECT_EQ(late.hosts()[0].not_ready_since, kNow + absl::Seconds(40));
  EXPECT_TRUE(first.hosts()[0].ready) << "the shared vector is never changed";

  FleetView started(base, {{"h2", {.cpus = 2}}}, kNow, options, &first.SharedHosts());
  EXPECT_FALSE(started.SharedHosts().Shares(first.SharedHosts()));
  EXPECT_EQ(started.hosts()[1].assigned.cpus, 2);

  std::shared_ptr<const FleetBase> other =
      cache.Update({h1, std::make_shared<const ports::HostSession>(*h2)}, registry, options);
  ASSERT_NE(other, base);
  FleetView heartbeat(other, assigned, kNow, options, &first.SharedHosts());
  EXPECT_TRUE(heartbeat.SharedHosts().Shares(first.SharedHosts())) << "a new base, the same hosts";

  ports::HostSession relabelled = *h2;
  (*relabelled.hello.mutable_labels())["zone"] = "b";
  std::shared_ptr<const FleetBase> third =
      cache.Update({h1, std::make_shared<const ports::HostSession>(relabelled)}, registry, options);
  FleetView changed(third, assigned, kNow, options, &first.SharedHosts());
  EXPECT_FALSE(changed.SharedHosts().Shares(first.SharedHosts()));
  EXPECT_EQ(changed.hosts()[1].labels.at("zone"), "b");
}

TEST(MergeInstanceTest, ReportedFieldsComeFromTheAgent) {
  agent::v1::InstanceReport report;
  report.set_phase(v1alpha1::RUNNING);
  report.set_ready(true);
  report.set_ready_since("1970-01-12T13:46:40Z");
  report.set_restarts(2);
  report.set_address("10.0.0.2");
  auto* port = report.add_ports();
  port->set_port(80);
  port->set_protocol(v1alpha1::UDP);
  report.set_exit_code(3);
  ports::HostSession session = Session("h1", true, kNow, 5);
  core::Instance merged = MergeInstance(Assigned("web-1", 5), &session, &report, false);
  EXPECT_EQ(merged.phase, core::InstancePhase::kRunning);
  EXPECT_TRUE(merged.ready);
  EXPECT_EQ(merged.ready_since, kNow);
  EXPECT_EQ(merged.restarts, 2);
  EXPECT_EQ(merged.address, "10.0.0.2");
  ASSERT_EQ(merged.ports.size(), 1u);
  EXPECT_EQ(merged.ports[0].protocol, "UDP");
  EXPECT_EQ(merged.exit_code, 3);
  EXPECT_EQ(merged.revision_hash, "abc");
}

struct MergeCase {
  std::string name;
  bool has_session;
  int64_t applied;
  int64_t generation;
  bool stopping;
  bool expected;
  core::InstancePhase phase;
};

TEST(MergeInstanceTest, AnUnreportedInstanceIsPendingUntilItsAgentSettlesIt) {
  using P = core::InstancePhase;
  std::vector<MergeCase> cases = {
      {"agent has not applied the start yet", true, 4, 5, false, false, P::kPending},
      {"agent applied it, start still expected", true, 5, 5, false, true, P::kPending},
      {"agent applied it, expectation over: lost", true, 6, 5, false, false, P::kFailed},
      {"host never said hello", false, 0, 5, false, false, P::kPending},
      {"adopted from the store, its host says hello without it", true, 9, 0, false, false,
       P::kFailed},
      {"stopping, agent has not applied the stop", true, 4, 5, true, false, P::kPending},
      {"stopping, agent applied the stop: gone", true, 5, 5, true, false, P::kSucceeded},
  };
  for (const MergeCase& c : cases) {
    ports::HostSession session = Session("h1", true, kNow, c.applied);
    core::Instance merged = MergeInstance(Assigned("web-1", c.generation, c.stopping),
                                          c.has_session ? &session : nullptr, nullptr, c.expected);
    EXPECT_EQ(merged.phase, c.phase) << c.name;
    EXPECT_EQ(merged.stop_requested, c.stopping) << c.name;
  }
}

TEST(AssignmentTableTest, EveryChangeSendsTheHostsWholeSet) {
  testing::FakeAgentHub hub;
  AssignmentTable table(hub);
  ASSERT_TRUE(table.Start(Assigned("a", 0)).ok());
  ASSERT_TRUE(table.Start(Assigned("b", 0)).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(table.Start(Assigned("a", 0))));
  EXPECT_EQ(hub.AssignmentFor("h1")->instances_size(), 2);
  int64_t stop_generation = 0;
  table.Stop("h1", "a");
  stop_generation = hub.AssignmentFor("h1")->generation();
  EXPECT_EQ(hub.AssignmentFor("h1")->instances_size(), 1);
  std::vector<AssignedInstance> all = table.ForKey({.name = "web"});
  ASSERT_EQ(all.size(), 2u) << "a stopping instance stays until deleted";
  EXPECT_TRUE(all[0].stop_requested);
  EXPECT_EQ(all[0].generation, stop_generation);
  EXPECT_EQ(*table.AssignedByHost(), (AssignedResources{{"h1", {.memory_bytes = 0, .cpus = 0}}}));
  int calls = hub.AssignCalls();
  table.Stop("h1", "a");    // idempotent
  table.Delete("h1", "a");  // not in the set: nothing to send
  EXPECT_EQ(hub.AssignCalls(), calls);
  table.Delete("h1", "b");
  EXPECT_EQ(hub.AssignmentFor("h1")->instances_size(), 0);
  EXPECT_TRUE(table.Names().empty());
  EXPECT_TRUE(table.HostAssigned("h1"));
  EXPECT_FALSE(table.HostAssigned("h2"));
}

TEST(AssignmentTableTest, AStartBeyondTheHostsCapacityIsAConflict) {
  testing::FakeAgentHub hub;
  AssignmentTable table(hub);
  AssignedInstance a = Assigned("a", 0);
  a.resources = {.memory_bytes = 3, .cpus = 1};
  AssignedInstance b = Assigned("b", 0);
  b.resources = {.memory_bytes = 2, .cpus = 1};
  core::Resources capacity{.memory_bytes = 4, .cpus = 4};
  ASSERT_TRUE(table.Start(a, capacity).ok());
  EXPECT_TRUE(absl::IsAborted(table.Start(b, capacity)));
  EXPECT_EQ(table.Names().size(), 1u);
  EXPECT_TRUE(table.Start(b).ok()) << "no capacity given: not checked";
}

TEST(AssignmentTableTest, AdoptSendsNothingAndKeepsKnownNames) {
  testing::FakeAgentHub hub;
  AssignmentTable table(hub);
  table.Adopt(Assigned("a", 0));
  AssignedInstance again = Assigned("a", 0);
  again.host = "h2";
  table.Adopt(again);
  EXPECT_EQ(hub.AssignCalls(), 0);
  EXPECT_EQ(table.KeysOnHost("h1").size(), 1u);
  EXPECT_TRUE(table.KeysOnHost("h2").empty());
  EXPECT_FALSE(table.HostAssigned("h1"));
}

TEST(ExpectationsTest, PendingUntilObservedOrTimedOut) {
  Expectations expectations(absl::Seconds(10));
  expectations.ExpectStart("a", kNow);
  expectations.ExpectStart("b", kNow);
  EXPECT_TRUE(expectations.Pending("a", kNow + absl::Seconds(9)));
  EXPECT_FALSE(expectations.Pending("a", kNow + absl::Seconds(10)));
  expectations.Observed("b");
  EXPECT_FALSE(expectations.Pending("b", kNow));
  EXPECT_EQ(expectations.Deadline("a"), kNow + absl::Seconds(10));
  expectations.Expire(kNow + absl::Seconds(11));
  EXPECT_EQ(expectations.Deadline("a"), std::nullopt);
}

}  // namespace
}  // namespace nanoplane::controller::app
