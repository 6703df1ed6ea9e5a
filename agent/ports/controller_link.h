#pragma once

// The ControllerLink port: the agent's side of the agent protocol
// (proto/nanoplane/agent/v1/agent.proto).
//
// Contract
// - The link keeps one stream to the controller, reconnecting with exponential
//   back-off and jitter. On every (re)connect it sends the hello it gets from
//   `hello` (which carries every instance the host runs), so nothing depends on
//   messages lost while it was away.
// - The handlers run on the link's thread, one at a time, in arrival order;
//   they must not block for long (a log request is served on its own thread by
//   the handler's owner, writing through the LogSink it is given).
// - Report sends a full report now when connected; while disconnected it is
//   dropped (the next hello carries the same state).
// - While the controller is away, nothing else happens: VMs keep running.
// - Thread-safe.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "nanoplane/agent/v1/agent.pb.h"

namespace nanoplane::agent {

// Where a log request's chunks go. Safe to use from any thread.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // False once the controller cancelled the request or went away.
  virtual bool Send(std::string_view data, int64_t offset) = 0;
  // Ends the request; a non-empty error is shown to whoever asked.
  virtual void End(const std::string& error = "") = 0;
  virtual bool cancelled() const = 0;
};

struct ControllerLinkHandlers {
  std::function<v1::Hello()> hello;
  std::function<void(const v1::Assignment&)> on_assignment;
  std::function<void(const v1::LogRequest&, std::shared_ptr<LogSink>)> on_log_request;
};

class ControllerLink {
 public:
  virtual ~ControllerLink() = default;

  // Starts connecting. REQUIRES: called once, before Report.
  virtual void Start(ControllerLinkHandlers handlers) = 0;
  virtual void Report(const v1::Report& report) = 0;
  virtual bool connected() const = 0;

  // Writes the artifact `sha256` to `dest_path`, verifying its digest.
  // NotFound when the controller has no such blob; Unavailable when it cannot
  // be reached; InvalidArgument when the bytes do not match.
  [[nodiscard]] virtual absl::Status FetchArtifact(const std::string& sha256,
                                                   const std::string& dest_path) = 0;
};

}  // namespace nanoplane::agent
