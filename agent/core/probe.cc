#include "agent/core/probe.h"

#include <algorithm>

namespace nanoplane::agent::core {

ProbeState ProbeState::Initial(ProbeKind kind) {
  ProbeState state;
  state.passing = kind == ProbeKind::kLiveness;
  return state;
}

namespace {

bool Counts(const ProbeSpec& spec, const ProbeState& state, const ProbeResult& result,
            absl::Time run_started) {
  if (result.started < run_started + spec.initial_delay) {
    return false;
  }
  return !state.last_probe_started.has_value() || result.started > *state.last_probe_started;
}

}  // namespace

ProbeState ObserveProbe(const ProbeSpec& spec, const ProbeState& state, const ProbeResult& result,
                        absl::Time run_started) {
  if (!Counts(spec, state, result, run_started)) {
    return state;
  }
  ProbeState next = state;
  next.last_probe_started = result.started;
  const bool ok = result.ok && result.latency <= spec.timeout;
  if (ok) {
    next.consecutive_successes++;
    next.consecutive_failures = 0;
    if (!next.passing && next.consecutive_successes >= spec.success_threshold) {
      next.passing = true;
      next.passed_once = true;
      next.passing_since = result.started + result.latency;
    }
  } else {
    next.consecutive_failures++;
    next.consecutive_successes = 0;
    if (next.passing && next.consecutive_failures >= spec.failure_threshold) {
      next.passing = false;
      next.passing_since.reset();
    }
  }
  return next;
}

absl::Time NextProbeDue(const ProbeSpec& spec, const ProbeState& state, absl::Time run_started) {
  const absl::Time first = run_started + spec.initial_delay;
  if (!state.last_probe_started.has_value() || *state.last_probe_started < run_started) {
    return first;
  }
  return std::max(first, *state.last_probe_started + spec.period);
}

void PrintTo(const ProbeState& s, std::ostream* os) {
  *os << "ProbeState{" << (s.passing ? "passing" : "failing") << " ok=" << s.consecutive_successes
      << " fail=" << s.consecutive_failures << (s.passed_once ? " passed-once" : "") << "}";
}

}  // namespace nanoplane::agent::core
