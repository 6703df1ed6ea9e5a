#pragma once

// The ControllerLink over gRPC: dials the controller's agent hub.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "agent/ports/controller_link.h"
#include "grpcpp/grpcpp.h"
#include "nanoplane/agent/v1/agent.grpc.pb.h"

namespace nanoplane::agent {

struct GrpcControllerLinkOptions {
  std::string address;    // host:port of the controller's agent hub
  std::string ca_file;    // when set: TLS, trusting this CA
  std::string cert_file;  // with key_file: a client certificate
  std::string key_file;
  // Reconnection, for this link and for the gRPC channel under it. The cap is
  // low because a standby controller takes over when the leader's lease (15 s)
  // expires: the agents must find it within seconds more, not minutes (gRPC's
  // own default cap is 120 s). With jitter, even a thousand agents make a few
  // hundred refused connections a second at most.
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{5'000};
};

class GrpcControllerLink : public ControllerLink {
 public:
  // InvalidArgument for unreadable TLS files.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GrpcControllerLink>> Create(
      GrpcControllerLinkOptions options);
  ~GrpcControllerLink() override;

  // ControllerLink
  void Start(ControllerLinkHandlers handlers) override;
  void Report(const v1::Report& report) override;
  bool connected() const override { return connected_; }
  absl::Status FetchArtifact(const std::string& sha256, const std::string& dest_path) override;

 private:
  class Sink;
  using Stream = grpc::ClientReaderWriter<v1::AgentMessage, v1::ControllerMessage>;

  // The current stream, shared with the log sinks so that a sink outliving its
  // stream, or the link, writes nowhere instead of into freed memory.
  struct Connection {
    std::mutex mutex;  // serializes writes; guards stream
    Stream* stream = nullptr;

    bool Write(const v1::AgentMessage& message) {
      std::lock_guard<std::mutex> guard(mutex);
      return stream != nullptr && stream->Write(message);
    }
    void Close() {
      std::lock_guard<std::mutex> guard(mutex);
      stream = nullptr;
    }
  };

  GrpcControllerLink(GrpcControllerLinkOptions options,
                     std::shared_ptr<grpc::ChannelCredentials> credentials);
  void Run();
  // One connection, until it breaks; true when it got as far as the hello.
  bool RunOnce();
  void Dispatch(const v1::ControllerMessage& message);
  bool Write(const v1::AgentMessage& message);
  void SleepBackoff(std::chrono::milliseconds& backoff);

  GrpcControllerLinkOptions options_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentHub::Stub> stub_;
  ControllerLinkHandlers handlers_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};

  std::mutex mutex_;  // guards context_, stream_, connection_, sinks_
  std::condition_variable wake_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<Stream> stream_;
  std::shared_ptr<Connection> connection_;
  std::map<std::string, std::shared_ptr<Sink>> sinks_;
};

}  // namespace nanoplane::agent
