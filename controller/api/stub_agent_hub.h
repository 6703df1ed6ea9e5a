#pragma once

// StubAgentHub: an AgentHub with scripted hosts and console logs, for the
// API's tests and the CLI's. Thread-safe.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/ports/agent_hub.h"

namespace nanoplane::controller::api {

class StubAgentHub : public ports::AgentHub {
 public:
  void SetHosts(std::vector<ports::HostSession> hosts);
  // The console log of `instance` on `host`; StreamLogs sends it in chunks of
  // `chunk` bytes.
  void SetLog(const std::string& host, const std::string& instance, std::string log);

  // ports::AgentHub
  int64_t Assign(const std::string& host, std::vector<ports::SharedAssignment> instances) override;
  std::vector<ports::HostSession> Hosts() const override;
  void SetOnChange(std::function<void(const std::string& host)> on_change) override;
  // NotFound for an unknown host or instance; ignores `follow` (the log ends).
  absl::Status StreamLogs(const std::string& host, const std::string& instance, int64_t offset,
                          bool follow,
                          const std::function<bool(std::string_view chunk)>& sink) override;

  static constexpr size_t kChunk = 4;

 private:
  mutable absl::Mutex mu_;
  std::vector<ports::HostSession> hosts_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::string> logs_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

// A connected host whose agent reports `instances` (name, namespace/unikernel).
ports::HostSession MakeHostSession(
    const std::string& host,
    const std::vector<std::pair<std::string, std::string>>& instances = {});

}  // namespace nanoplane::controller::api
