#pragma once

// FakeControllerLink: a ControllerLink for tests. Records reports, serves
// artifacts from a map, and lets the test play the controller: deliver an
// assignment or a log request through the handlers the agent registered.
// Thread-safe.

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "agent/ports/controller_link.h"

namespace nanoplane::agent::app::testing {

class FakeControllerLink final : public ControllerLink {
 public:
  // ports::ControllerLink
  void Start(ControllerLinkHandlers handlers) override;
  void Report(const v1::Report& report) override;
  bool connected() const override { return true; }
  absl::Status FetchArtifact(const std::string& sha256, const std::string& dest_path) override;

  void AddArtifact(const std::string& sha256, const std::string& content);
  // Calls the agent's handlers as the link's thread would.
  void SendAssignment(const v1::Assignment& assignment);
  void SendLogRequest(const v1::LogRequest& request, std::shared_ptr<LogSink> sink);
  v1::Hello Hello();

  std::vector<v1::Report> reports() const;
  bool started() const;

 private:
  mutable absl::Mutex mu_;
  ControllerLinkHandlers handlers_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::Report> reports_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> artifacts_ ABSL_GUARDED_BY(mu_);
};

// A LogSink that collects what it is sent; cancel() plays the controller
// cancelling the request.
class CollectingSink final : public LogSink {
 public:
  bool Send(std::string_view data, int64_t offset) override;
  void End(const std::string& error) override;
  bool cancelled() const override;

  void cancel();
  std::string data() const;
  bool ended() const;
  std::string error() const;
  std::vector<int64_t> offsets() const;

 private:
  mutable absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> offsets_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanoplane::agent::app::testing
