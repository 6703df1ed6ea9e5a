#pragma once

// Readiness and liveness probes as pure state machines (the Kubernetes probe
// rules). The app performs the TCP/HTTP probes when NextProbeDue says and
// feeds each result to ObserveProbe; the local reconciler reads the state:
// readiness makes an instance ready, a failed liveness probe restarts it.
//
// A state belongs to one run of the VM. The reconciler starts a fresh one
// (ProbeState::Initial) whenever it sees a new run, and results that started
// before the run are ignored, so a slow probe of the previous boot cannot
// fail the new one.

#include <cstdint>
#include <optional>
#include <ostream>

#include "absl/time/time.h"

namespace nanoplane::agent::core {

enum class ProbeKind { kReadiness, kLiveness };

// The Probe's timing fields, defaulted as the API defaults them.
struct ProbeSpec {
  absl::Duration initial_delay = absl::ZeroDuration();
  absl::Duration period = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(1);
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
  bool operator==(const ProbeSpec&) const = default;
};

// One probe as the app ran it. A probe that took longer than the spec's
// timeout counts as failed whatever it returned; the app may also cancel it
// at the timeout and report ok = false.
struct ProbeResult {
  absl::Time started;
  absl::Duration latency = absl::ZeroDuration();
  bool ok = false;
  bool operator==(const ProbeResult&) const = default;
};

struct ProbeState {
  // Readiness starts failing (not ready until proven), liveness passing
  // (alive until proven dead), as in Kubernetes.
  bool passing = false;
  bool passed_once = false;                 // readiness: the run has been ready at least once
  std::optional<absl::Time> passing_since;  // when `passing` last became true
  int32_t consecutive_successes = 0;
  int32_t consecutive_failures = 0;
  std::optional<absl::Time> last_probe_started;
  bool operator==(const ProbeState&) const = default;

  // The state of a probe at the start of a run.
  static ProbeState Initial(ProbeKind kind);
};

// The state after `result`. Results that started before the run, before the
// initial delay, or no later than the last counted one are ignored (stale or
// duplicate). `passing` flips to true after success_threshold consecutive
// successes and to false after failure_threshold consecutive failures.
ProbeState ObserveProbe(const ProbeSpec& spec, const ProbeState& state, const ProbeResult& result,
                        absl::Time run_started);

// When the next probe should start: the initial delay after the run started,
// then every period after the last counted probe.
absl::Time NextProbeDue(const ProbeSpec& spec, const ProbeState& state, absl::Time run_started);

void PrintTo(const ProbeState& state, std::ostream* os);

}  // namespace nanoplane::agent::core
