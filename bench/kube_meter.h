#pragma once

// What np_fleet_bench --store kubernetes measures of the controller's traffic
// to the API server: the requests the fake API server served to the
// controller's user, sampled every second, and the time of each status write
// as the controller saw it (its rate limiter's wait included).

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/kube/testing/fake_api_server.h"

namespace nanoplane::bench {

// Requests of one user, split by what the issue allows at rest.
struct RequestTally {
  int64_t total = 0;
  int64_t watches = 0;     // a watch counts once, when it starts
  int64_t leases = 0;      // leader election
  int64_t heartbeats = 0;  // Host objects
  // Everything else: what "no requests at rest" is about.
  int64_t other() const { return total - watches - leases - heartbeats; }
};

class KubeMeter {
 public:
  KubeMeter(const kube::testing::FakeApiServer& server, std::string user);
  ~KubeMeter();

  // Counts since the server started.
  RequestTally Tally() const;
  // The same by kind ("verb resource"), for a breakdown.
  std::map<std::string, int64_t> ByKind() const;
  // The most requests in any `window` (a whole number of the 1 s samples)
  // since the last ResetPeak.
  double PeakRate(absl::Duration window) const;
  void ResetPeak();

  // The observer for the controller's KubeClient (ClientOptions::on_request).
  void OnRequest(std::string_view method, std::string_view path, absl::Duration took,
                 const absl::Status& outcome);
  // Status writes of Unikernels since the last ResetStatusWrites: the
  // quantile `q` of their times, in ms, and how many.
  double StatusWriteMs(double q) const;
  size_t StatusWrites() const;
  void ResetStatusWrites();

 private:
  void Sample();

  const kube::testing::FakeApiServer& server_;
  const std::string user_;
  mutable std::mutex mu_;
  std::vector<int64_t> totals_;  // one per second, since ResetPeak
  std::vector<double> status_write_ms_;
  bool stopping_ = false;
  std::thread sampler_;
};

}  // namespace nanoplane::bench
