#include "agent/core/probe.h"

#include <vector>

#include "gtest/gtest.h"

namespace nanoplane::agent::core {
namespace {

using absl::Milliseconds;
using absl::Seconds;

const absl::Time kRun = absl::FromUnixSeconds(1'700'000'000);

ProbeResult Ok(absl::Duration at, absl::Duration latency = Milliseconds(5)) {
  return ProbeResult{.started = kRun + at, .latency = latency, .ok = true};
}

ProbeResult Fail(absl::Duration at) {
  return ProbeResult{.started = kRun + at, .latency = Milliseconds(5), .ok = false};
}

// Feeds `results` in order and returns the `passing` flag after each.
std::vector<bool> PassingAfterEach(const ProbeSpec& spec, ProbeKind kind,
                                   const std::vector<ProbeResult>& results) {
  ProbeState state = ProbeState::Initial(kind);
  std::vector<bool> passing;
  for (const ProbeResult& result : results) {
    state = ObserveProbe(spec, state, result, kRun);
    passing.push_back(state.passing);
  }
  return passing;
}

TEST(ProbeTest, ReadinessStartsNotReadyAndLivenessStartsAlive) {
  EXPECT_FALSE(ProbeState::Initial(ProbeKind::kReadiness).passing);
  EXPECT_TRUE(ProbeState::Initial(ProbeKind::kLiveness).passing);
}

TEST(ProbeTest, ReadinessPassesAfterSuccessThresholdConsecutiveSuccesses) {
  const ProbeSpec spec{.success_threshold = 3};
  EXPECT_EQ(PassingAfterEach(spec, ProbeKind::kReadiness,
                             {Ok(Seconds(1)), Ok(Seconds(2)), Fail(Seconds(3)), Ok(Seconds(4)),
                              Ok(Seconds(5)), Ok(Seconds(6))}),
            (std::vector<bool>{false, false, false, false, false, true}));
}

TEST(ProbeTest, LivenessFailsAfterFailureThresholdConsecutiveFailures) {
  const ProbeSpec spec{.failure_threshold = 3};
  EXPECT_EQ(PassingAfterEach(spec, ProbeKind::kLiveness,
                             {Fail(Seconds(1)), Fail(Seconds(2)), Ok(Seconds(3)), Fail(Seconds(4)),
                              Fail(Seconds(5)), Fail(Seconds(6))}),
            (std::vector<bool>{true, true, true, true, true, false}));
}

TEST(ProbeTest, ReadyInstanceBecomesUnreadyAfterFailuresAndRecovers) {
  const ProbeSpec spec{.success_threshold = 1, .failure_threshold = 2};
  EXPECT_EQ(PassingAfterEach(spec, ProbeKind::kReadiness,
                             {Ok(Seconds(1)), Fail(Seconds(2)), Fail(Seconds(3)), Ok(Seconds(4))}),
            (std::vector<bool>{true, true, false, true}));
}

TEST(ProbeTest, ASuccessSlowerThanTheTimeoutIsAFailure) {
  const ProbeSpec spec{.timeout = Seconds(1), .failure_threshold = 1};
  EXPECT_EQ(PassingAfterEach(spec, ProbeKind::kLiveness, {Ok(Seconds(1), Milliseconds(1001))}),
            (std::vector<bool>{false}));
  EXPECT_EQ(PassingAfterEach(spec, ProbeKind::kReadiness, {Ok(Seconds(1), Seconds(1))}),
            (std::vector<bool>{true}));
}

TEST(ProbeTest, ResultsBeforeTheInitialDelayOrTheRunAreIgnored) {
  const ProbeSpec spec{.initial_delay = Seconds(5), .failure_threshold = 1};
  ProbeState state = ProbeState::Initial(ProbeKind::kLiveness);
  state = ObserveProbe(spec, state, Fail(Seconds(-1)), kRun);  // the previous run's probe
  state = ObserveProbe(spec, state, Fail(Seconds(4)), kRun);   // inside the initial delay
  EXPECT_EQ(state, ProbeState::Initial(ProbeKind::kLiveness));
  state = ObserveProbe(spec, state, Fail(Seconds(5)), kRun);
  EXPECT_FALSE(state.passing);
}

TEST(ProbeTest, DuplicateAndOutOfOrderResultsAreIgnored) {
  const ProbeSpec spec{.failure_threshold = 2};
  ProbeState state = ProbeState::Initial(ProbeKind::kLiveness);
  state = ObserveProbe(spec, state, Fail(Seconds(10)), kRun);
  state = ObserveProbe(spec, state, Fail(Seconds(10)), kRun);
  state = ObserveProbe(spec, state, Fail(Seconds(9)), kRun);
  EXPECT_TRUE(state.passing);
  EXPECT_EQ(state.consecutive_failures, 1);
}

TEST(ProbeTest, ReadySinceIsWhenThePassingProbeCompleted) {
  const ProbeSpec spec;
  ProbeState state = ProbeState::Initial(ProbeKind::kReadiness);
  state = ObserveProbe(spec, state, Ok(Seconds(3), Milliseconds(200)), kRun);
  EXPECT_EQ(state.passing_since, kRun + Seconds(3) + Milliseconds(200));
  EXPECT_TRUE(state.passed_once);
  state = ObserveProbe(spec, state, Ok(Seconds(13)), kRun);
  EXPECT_EQ(state.passing_since, kRun + Seconds(3) + Milliseconds(200));
}

TEST(ProbeTest, NextProbeIsDueAfterTheInitialDelayThenEveryPeriod) {
  const ProbeSpec spec{.initial_delay = Seconds(5), .period = Seconds(10)};
  ProbeState state = ProbeState::Initial(ProbeKind::kReadiness);
  EXPECT_EQ(NextProbeDue(spec, state, kRun), kRun + Seconds(5));
  state = ObserveProbe(spec, state, Ok(Seconds(6)), kRun);
  EXPECT_EQ(NextProbeDue(spec, state, kRun), kRun + Seconds(16));
  // A state left from an earlier run does not postpone the new run's probes.
  EXPECT_EQ(NextProbeDue(spec, state, kRun + Seconds(100)), kRun + Seconds(105));
}

}  // namespace
}  // namespace nanoplane::agent::core
