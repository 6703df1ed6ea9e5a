#include "controller/core/scheduler.h"

#include <string>
#include <vector>

#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::kGi;
using testing::kMi;
using testing::MakeHost;

Host WithAssigned(Host host, Resources assigned) {
  host.assigned = assigned;
  return host;
}

Host NotReady(Host host) {
  host.ready = false;
  return host;
}

const SchedulingRequest kSmall{.resources = {256 * kMi, 1}};

SchedulingRequest WithSpread(WhenUnsatisfiable when, int32_t max_skew = 1) {
  SchedulingRequest request = kSmall;
  request.spread = Spread{.max_skew = max_skew, .when_unsatisfiable = when};
  return request;
}

struct Row {
  std::string name;
  SchedulingRequest request;
  std::vector<Host> hosts;
  std::map<std::string, int32_t> counts;
  Placement want;
};

TEST(SchedulerTest, Table) {
  const Labels kSsd = {{"disk", "ssd"}};
  std::vector<Row> rows = {
      {"least allocated wins",
       kSmall,
       {WithAssigned(MakeHost("h1"), {2 * kGi, 2}), MakeHost("h2")},
       {},
       {.host = "h2"}},
      {"equal hosts: name breaks the tie",
       kSmall,
       {MakeHost("h2"), MakeHost("h1")},
       {},
       {.host = "h1"}},
      {"not ready host is no candidate",
       kSmall,
       {NotReady(MakeHost("h1")), MakeHost("h2", {}, {kGi, 1})},
       {},
       {.host = "h2"}},
      {"host selector",
       {.resources = {256 * kMi, 1}, .host_selector = kSsd},
       {MakeHost("h1"), MakeHost("h2", kSsd, {kGi, 1})},
       {},
       {.host = "h2"}},
      {"selector, memory: the documented message",
       {.resources = {3 * kGi, 1}, .host_selector = kSsd},
       {MakeHost("h1", kSsd, {2 * kGi, 4}), MakeHost("h2", kSsd, {2 * kGi, 4}), MakeHost("h3")},
       {},
       {.reason = "0/3 hosts fit: 2 insufficient memory, 1 does not match hostSelector"}},
      {"one host short of both",
       {.resources = {2 * kGi, 4}},
       {WithAssigned(MakeHost("h1"), {3 * kGi, 1})},
       {},
       {.reason = "0/1 hosts fit: 1 insufficient cpus, 1 insufficient memory"}},
      {"assigned counts against allocatable",
       kSmall,
       {WithAssigned(MakeHost("h1", {}, {kGi, 4}), {900 * kMi, 1})},
       {},
       {.reason = "0/1 hosts fit: 1 insufficient memory"}},
      {"exactly full still fits",
       kSmall,
       {WithAssigned(MakeHost("h1", {}, {kGi, 4}), {768 * kMi, 3})},
       {},
       {.host = "h1"}},
      {"not ready and full",
       kSmall,
       {NotReady(MakeHost("h1")), WithAssigned(MakeHost("h2"), {4 * kGi, 0})},
       {},
       {.reason = "0/2 hosts fit: 1 insufficient memory, 1 not ready"}},
      {"no hosts", kSmall, {}, {}, {.reason = "0/0 hosts fit: the fleet has no hosts"}},
      {"DoNotSchedule keeps the skew",
       WithSpread(WhenUnsatisfiable::kDoNotSchedule),
       {MakeHost("h1", {}, {8 * kGi, 8}), MakeHost("h2")},
       {{"h1", 1}},
       {.host = "h2"}},
      {"DoNotSchedule refuses to exceed the skew",
       WithSpread(WhenUnsatisfiable::kDoNotSchedule),
       {MakeHost("h1"), WithAssigned(MakeHost("h2"), {4 * kGi, 0})},
       {{"h1", 1}},
       {.reason = "0/2 hosts fit: 1 insufficient memory, 1 would exceed spread maxSkew"}},
      {"DoNotSchedule with maxSkew 2 allows one more",
       WithSpread(WhenUnsatisfiable::kDoNotSchedule, 2),
       {MakeHost("h1"), WithAssigned(MakeHost("h2"), {4 * kGi, 0})},
       {{"h1", 1}},
       {.host = "h1"}},
      {"ScheduleAnyway prefers the skew over free room",
       WithSpread(WhenUnsatisfiable::kScheduleAnyway),
       {MakeHost("h1", {}, {64 * kGi, 64}), MakeHost("h2")},
       {{"h1", 3}, {"h2", 2}},
       {.host = "h2"}},
      {"ScheduleAnyway exceeds the skew when it must",
       WithSpread(WhenUnsatisfiable::kScheduleAnyway),
       {MakeHost("h1"), WithAssigned(MakeHost("h2"), {4 * kGi, 0})},
       {{"h1", 1}},
       {.host = "h1"}},
      {"NotReady hosts do not set the spread baseline",
       WithSpread(WhenUnsatisfiable::kDoNotSchedule),
       {MakeHost("h1"), NotReady(MakeHost("h2"))},
       {{"h1", 1}},
       {.host = "h1"}},
      {"hosts outside the selector do not set the spread baseline",
       SchedulingRequest{.resources = {256 * kMi, 1},
                         .host_selector = kSsd,
                         .spread = {1, WhenUnsatisfiable::kDoNotSchedule}},
       {MakeHost("h1", kSsd), MakeHost("h2")},
       {{"h1", 1}},
       {.host = "h1"}},
  };
  for (Row& row : rows) {
    SCOPED_TRACE(row.name);
    SchedulingState state{.hosts = row.hosts, .counts = row.counts};
    EXPECT_EQ(ScheduleInstance(row.request, state), row.want);
  }
}

TEST(SchedulerTest, RecordsEachPlacementSoLaterOnesSpread) {
  SchedulingState state{.hosts = {MakeHost("h1"), MakeHost("h2"), MakeHost("h3")}};
  std::vector<std::string> hosts;
  for (int i = 0; i < 6; ++i) {
    hosts.push_back(ScheduleInstance(kSmall, state).host);
  }
  EXPECT_EQ(hosts, (std::vector<std::string>{"h1", "h2", "h3", "h1", "h2", "h3"}));
  EXPECT_EQ(state.hosts[0].assigned, (Resources{512 * kMi, 2}));
  EXPECT_EQ(state.counts["h3"], 2);
}

TEST(SchedulerTest, FillsUntilNothingFitsThenExplains) {
  SchedulingState state{.hosts = {MakeHost("h1", {}, {kGi, 2})}};
  EXPECT_EQ(ScheduleInstance(kSmall, state).host, "h1");
  EXPECT_EQ(ScheduleInstance(kSmall, state).host, "h1");
  EXPECT_EQ(ScheduleInstance(kSmall, state).reason, "0/1 hosts fit: 1 insufficient cpus");
}

TEST(SchedulerTest, LeastAllocatedScoreAveragesMemoryAndCpus) {
  Host host = WithAssigned(MakeHost("h1", {}, {4 * kGi, 4}), {kGi, 1});
  EXPECT_EQ(LeastAllocatedScore({kGi, 1}, host), 50);
  EXPECT_EQ(LeastAllocatedScore({0, 0}, host), 75);
  EXPECT_EQ(LeastAllocatedScore({kGi, 1}, MakeHost("empty", {}, {0, 0})), 0);
}

}  // namespace
}  // namespace nanoplane::controller::core
