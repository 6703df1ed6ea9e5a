#pragma once

// The AgentHub over gRPC: the server of the agent protocol. Agents connect to
// it (one stream per host, opened by the agent, so agents behind NAT work);
// with TLS when certificate files are given, and always with a join token.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/artifact_store.h"
#include "nanoplane/agent/v1/agent.grpc.pb.h"

namespace nanoplane::controller {

struct GrpcAgentHubOptions {
  std::string address = "127.0.0.1:0";  // host:port; port 0 picks one
  std::string join_token;               // agents must present it in their hello
  std::string tls_cert_file;            // with tls_key_file: serve TLS
  std::string tls_key_file;
  std::string client_ca_file;  // when set, agents must present a certificate it signed
  ports::ArtifactStore* artifacts = nullptr;  // for FetchArtifact; may be null
};

class GrpcAgentHub : public ports::AgentHub {
 public:
  // Starts serving. InvalidArgument for unreadable TLS files or an empty join
  // token; Unavailable when the address cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GrpcAgentHub>> Start(
      GrpcAgentHubOptions options);
  ~GrpcAgentHub() override;

  // The address it listens on, with the chosen port.
  std::string address() const { return address_; }

  // ports::AgentHub
  int64_t Assign(const std::string& host, std::vector<ports::SharedAssignment> instances) override;
  std::vector<ports::HostSession> Hosts() const override;
  std::shared_ptr<const ports::SessionList> SharedHosts() const override;
  void SetOnChange(std::function<void(const std::string& host)> on_change) override;
  absl::Status StreamLogs(const std::string& host, const std::string& instance, int64_t offset,
                          bool follow,
                          const std::function<bool(std::string_view chunk)>& sink) override;

  class Service;  // the gRPC service; public for the implementation file only

 private:
  friend class Service;
  struct Stream;
  struct LogWaiter;

  explicit GrpcAgentHub(GrpcAgentHubOptions options);

  // Runs one agent's stream until it ends.
  grpc::Status Serve(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<agent::v1::ControllerMessage, agent::v1::AgentMessage>* stream);
  grpc::Status ServeArtifact(const agent::v1::FetchArtifactRequest& request,
                             grpc::ServerWriter<agent::v1::ArtifactChunk>* writer);
  void OnHello(const std::shared_ptr<Stream>& stream, const agent::v1::Hello& hello);
  void OnReport(const std::string& host, const agent::v1::Report& report);
  void OnLogChunk(const agent::v1::LogChunk& chunk);
  void OnDisconnect(const std::shared_ptr<Stream>& stream);
  void Notify(const std::string& host);
  // The generation of the host's newest assignment; 0: none. REQUIRES: mutex_.
  int64_t AssignedGenerationLocked(const std::string& host) const;
  bool Send(const std::string& host, const agent::v1::ControllerMessage& message);

  GrpcAgentHubOptions options_;
  std::string address_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;

  mutable std::mutex mutex_;
  // Guarded by mutex_; copy-on-write, so that SharedHosts hands out unchanged
  // sessions as they are.
  std::map<std::string, std::shared_ptr<const ports::HostSession>> sessions_;
  // SharedHosts() as last built; reset whenever a session changes.
  mutable std::shared_ptr<const ports::SessionList> listed_;       // guarded by mutex_
  std::map<std::string, std::shared_ptr<Stream>> streams_;         // guarded by mutex_
  std::map<std::string, ports::HostAssignment> assignments_;       // guarded by mutex_
  std::map<std::string, std::shared_ptr<LogWaiter>> log_waiters_;  // guarded by mutex_
  int64_t next_generation_;                                        // guarded by mutex_
  uint64_t next_request_ = 0;                                      // guarded by mutex_
  std::function<void(const std::string&)> on_change_;              // guarded by mutex_
};

}  // namespace nanoplane::controller
