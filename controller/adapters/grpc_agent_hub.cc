#include "controller/adapters/grpc_agent_hub.h"

#include <openssl/crypto.h>

#include <deque>
#include <fstream>
#include <sstream>

#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"
#include "grpcpp/grpcpp.h"

namespace nanoplane::controller {
namespace {

using agent::v1::AgentMessage;
using agent::v1::ControllerMessage;

constexpr size_t kArtifactChunk = 1 << 20;

bool SameToken(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::Time Now() { return absl::Now(); }

}  // namespace

// One agent's stream. Writes are serialized: gRPC allows one writer at a time.
struct GrpcAgentHub::Stream {
  grpc::ServerContext* context;
  grpc::ServerReaderWriter<ControllerMessage, AgentMessage>* stream;
  std::mutex write_mutex;
  std::string host;  // set by the hello

  bool Write(const ControllerMessage& message) {
    std::lock_guard<std::mutex> guard(write_mutex);
    return stream->Write(message);
  }
};

// A StreamLogs call waiting for the agent's chunks.
struct GrpcAgentHub::LogWaiter {
  std::string host;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<agent::v1::LogChunk> chunks;  // guarded by mutex
  bool host_gone = false;                  // guarded by mutex
};

class GrpcAgentHub::Service : public agent::v1::AgentHub::Service {
 public:
  explicit Service(GrpcAgentHub& hub) : hub_(hub) {}
  grpc::Status Connect(grpc::ServerContext* context,
                       grpc::ServerReaderWriter<ControllerMessage, AgentMessage>* stream) override {
    return hub_.Serve(context, stream);
  }
  grpc::Status FetchArtifact(grpc::ServerContext*, const agent::v1::FetchArtifactRequest* request,
                             grpc::ServerWriter<agent::v1::ArtifactChunk>* writer) override {
    return hub_.ServeArtifact(*request, writer);
  }

 private:
  GrpcAgentHub& hub_;
};

GrpcAgentHub::GrpcAgentHub(GrpcAgentHubOptions options)
    : options_(std::move(options)),
      // Generations grow across controller restarts: start from the clock.
      next_generation_(absl::ToUnixNanos(absl::Now())) {}

GrpcAgentHub::~GrpcAgentHub() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
}

absl::StatusOr<std::unique_ptr<GrpcAgentHub>> GrpcAgentHub::Start(GrpcAgentHubOptions options) {
  if (options.join_token.empty()) {
    return absl::InvalidArgumentError("the agent hub needs a join token");
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    auto cert = ReadFileToString(options.tls_cert_file);
    auto key = ReadFileToString(options.tls_key_file);
    if (!cert.ok() || !key.ok()) {
      return !cert.ok() ? cert.status() : key.status();
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!options.client_ca_file.empty()) {
      auto ca = ReadFileToString(options.client_ca_file);
      if (!ca.ok()) {
        return ca.status();
      }
      ssl.pem_root_certs = *ca;
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  }
  std::unique_ptr<GrpcAgentHub> hub(new GrpcAgentHub(std::move(options)));
  hub->service_ = std::make_unique<Service>(*hub);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(hub->options_.address, credentials, &port);
  builder.RegisterService(hub->service_.get());
  builder.SetMaxReceiveMessageSize(64 << 20);
  hub->server_ = builder.BuildAndStart();
  if (!hub->server_ || port == 0) {
    return absl::UnavailableError(StrCat("agent hub: cannot listen on ", hub->options_.address));
  }
  std::string host = hub->options_.address.substr(0, hub->options_.address.rfind(':'));
  hub->address_ = StrCat(host, ":", port);
  return hub;
}

grpc::Status GrpcAgentHub::Serve(grpc::ServerContext* context,
                                 grpc::ServerReaderWriter<ControllerMessage, AgentMessage>* rw) {
  auto stream = std::make_shared<Stream>();
  stream->context = context;
  stream->stream = rw;
  AgentMessage message;
  if (!rw->Read(&message) || !message.has_hello()) {
    return {grpc::StatusCode::FAILED_PRECONDITION, "the first message must be a hello"};
  }
  const agent::v1::Hello& hello = message.hello();
  if (!SameToken(hello.join_token(), options_.join_token)) {
    Log(LogLevel::kWarn, "agent refused: wrong join token", {{"host", hello.host()}});
    return {grpc::StatusCode::PERMISSION_DENIED, "wrong join token"};
  }
  if (hello.host().empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "hello.host is empty"};
  }
  stream->host = hello.host();
  OnHello(stream, hello);
  // Everything after the hello is bound to its host: an agent speaks for its own host only.
  while (rw->Read(&message)) {
    if (message.has_report()) {
      OnReport(stream->host, message.report());
    } else if (message.has_log_chunk()) {
      OnLogChunk(message.log_chunk());
    } else if (message.has_hello()) {
      if (message.hello().host() != stream->host) {
        OnDisconnect(stream);
        return {grpc::StatusCode::PERMISSION_DENIED, "a stream speaks for one host"};
      }
      OnHello(stream, message.hello());
    }
  }
  OnDisconnect(stream);
  return grpc::Status::OK;
}

void GrpcAgentHub::OnHello(const std::shared_ptr<Stream>& stream, const agent::v1::Hello& hello) {
  std::shared_ptr<Stream> replaced;
  std::optional<ports::HostAssignment> assignment;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto& existing = streams_[hello.host()];
    if (existing && existing != stream) {
      replaced = existing;  // the agent reconnected; the old stream is dead or dying
    }
    existing = stream;
    listed_.reset();
    ports::HostSession& session =
        ports::CopyOnWriteWithInstances(sessions_[hello.host()], hello.instances());
    session.host = hello.host();
    session.hello = hello;
    session.hello.clear_join_token();
    session.hello.clear_instances();  // kept once, in session.instances
    session.connected = true;
    session.connected_at = session.last_seen = Now();
    session.applied_generation = hello.assignment_generation();
    session.assigned_generation = AssignedGenerationLocked(hello.host());
    if (auto it = assignments_.find(hello.host()); it != assignments_.end()) {
      assignment = it->second;
    }
  }
  if (replaced) {
    replaced->context->TryCancel();
  }
  Log(LogLevel::kInfo, "agent connected",
      {{"host", hello.host()}, {"instances", StrCat(hello.instances_size())}});
  if (assignment) {
    ControllerMessage message;
    *message.mutable_assignment() = assignment->ToProto();
    stream->Write(message);
  }
  Notify(hello.host());
}

void GrpcAgentHub::OnReport(const std::string& host, const agent::v1::Report& report) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    listed_.reset();
    ports::HostSession& session =
        ports::CopyOnWriteWithInstances(sessions_[host], report.instances());
    session.last_seen = Now();
    session.applied_generation = report.assignment_generation();
    session.assigned_generation = AssignedGenerationLocked(host);
  }
  Notify(host);
}

void GrpcAgentHub::OnLogChunk(const agent::v1::LogChunk& chunk) {
  std::shared_ptr<LogWaiter> waiter;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = log_waiters_.find(chunk.request_id());
    if (it == log_waiters_.end()) {
      return;  // the reader went away; the agent is told to stop by a cancel
    }
    waiter = it->second;
  }
  std::lock_guard<std::mutex> guard(waiter->mutex);
  waiter->chunks.push_back(chunk);
  waiter->ready.notify_all();
}

void GrpcAgentHub::OnDisconnect(const std::shared_ptr<Stream>& stream) {
  std::vector<std::shared_ptr<LogWaiter>> orphans;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = streams_.find(stream->host);
    if (it == streams_.end() || it->second != stream) {
      return;  // replaced by a newer stream of the same host
    }
    streams_.erase(it);
    listed_.reset();
    ports::CopyOnWrite(sessions_[stream->host]).connected = false;
    for (auto& [id, waiter] : log_waiters_) {
      if (waiter->host == stream->host) {
        orphans.push_back(waiter);
      }
    }
  }
  for (auto& waiter : orphans) {
    std::lock_guard<std::mutex> guard(waiter->mutex);
    waiter->host_gone = true;
    waiter->ready.notify_all();
  }
  Log(LogLevel::kInfo, "agent disconnected", {{"host", stream->host}});
  Notify(stream->host);
}

void GrpcAgentHub::Notify(const std::string& host) {
  std::function<void(const std::string&)> on_change;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    on_change = on_change_;
  }
  if (on_change) {
    on_change(host);
  }
}

bool GrpcAgentHub::Send(const std::string& host, const ControllerMessage& message) {
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = streams_.find(host);
    if (it == streams_.end()) {
      return false;
    }
    stream = it->second;
  }
  return stream->Write(message);
}

int64_t GrpcAgentHub::Assign(const std::string& host,
                             std::vector<ports::SharedAssignment> instances) {
  ports::HostAssignment assignment;
  bool connected = false;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    ports::HostAssignment& held = assignments_[host];
    held.generation = ++next_generation_;
    held.instances = std::move(instances);
    // The session's assigned_generation is filled in when it is read or the
    // host next reports: a copy of the session per Assign would cost more.
    assignment = held;  // pointers only
    connected = streams_.contains(host);
  }
  if (connected) {  // else sent on the next hello
    ControllerMessage message;
    *message.mutable_assignment() = assignment.ToProto();
    Send(host, message);
  }
  return assignment.generation;
}

std::vector<ports::HostSession> GrpcAgentHub::Hosts() const {
  std::lock_guard<std::mutex> guard(mutex_);
  std::vector<ports::HostSession> hosts;
  for (const auto& [name, session] : sessions_) {
    if (!session->hello.host().empty()) {
      hosts.push_back(*session);
      hosts.back().assigned_generation = AssignedGenerationLocked(name);
    }
  }
  return hosts;
}

int64_t GrpcAgentHub::AssignedGenerationLocked(const std::string& host) const {
  auto it = assignments_.find(host);
  return it == assignments_.end() ? 0 : it->second.generation;
}

std::shared_ptr<const ports::SessionList> GrpcAgentHub::SharedHosts() const {
  std::lock_guard<std::mutex> guard(mutex_);
  if (listed_ == nullptr) {
    auto hosts = std::make_shared<ports::SessionList>();
    for (const auto& [name, session] : sessions_) {
      if (!session->hello.host().empty()) {
        hosts->push_back(session);
      }
    }
    listed_ = std::move(hosts);
  }
  return listed_;
}

void GrpcAgentHub::SetOnChange(std::function<void(const std::string& host)> on_change) {
  std::lock_guard<std::mutex> guard(mutex_);
  on_change_ = std::move(on_change);
}

absl::Status GrpcAgentHub::StreamLogs(const std::string& host, const std::string& instance,
                                      int64_t offset, bool follow,
                                      const std::function<bool(std::string_view chunk)>& sink) {
  auto waiter = std::make_shared<LogWaiter>();
  waiter->host = host;
  std::string id;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    id = StrCat("logs-", ++next_request_);
    log_waiters_[id] = waiter;
  }
  ControllerMessage request;
  request.mutable_log_request()->set_request_id(id);
  request.mutable_log_request()->set_instance(instance);
  request.mutable_log_request()->set_offset(offset);
  request.mutable_log_request()->set_follow(follow);
  absl::Status status;
  if (!Send(host, request)) {
    status = absl::NotFoundError(StrCat("host ", host, " is not connected"));
  }
  while (status.ok()) {
    std::unique_lock<std::mutex> lock(waiter->mutex);
    waiter->ready.wait(lock, [&] { return !waiter->chunks.empty() || waiter->host_gone; });
    if (waiter->chunks.empty()) {
      status = absl::UnavailableError(StrCat("host ", host, " went away"));
      break;
    }
    agent::v1::LogChunk chunk = std::move(waiter->chunks.front());
    waiter->chunks.pop_front();
    lock.unlock();
    if (!chunk.data().empty() && !sink(chunk.data())) {
      ControllerMessage cancel;
      cancel.mutable_cancel_log_request()->set_request_id(id);
      Send(host, cancel);
      break;
    }
    if (chunk.end()) {
      if (!chunk.error().empty()) {
        status = absl::NotFoundError(chunk.error());
      }
      break;
    }
  }
  std::lock_guard<std::mutex> guard(mutex_);
  log_waiters_.erase(id);
  return status;
}

grpc::Status GrpcAgentHub::ServeArtifact(const agent::v1::FetchArtifactRequest& request,
                                         grpc::ServerWriter<agent::v1::ArtifactChunk>* writer) {
  if (options_.artifacts == nullptr) {
    return {grpc::StatusCode::UNIMPLEMENTED, "this controller has no artifact store"};
  }
  auto reader = options_.artifacts->Get(request.sha256());
  if (!reader.ok()) {
    return {reader.status().code() == absl::StatusCode::kNotFound ? grpc::StatusCode::NOT_FOUND
                                                                  : grpc::StatusCode::INTERNAL,
            std::string(reader.status().message())};
  }
  agent::v1::ArtifactChunk chunk;
  chunk.set_size((*reader)->size());
  while (true) {
    auto data = (*reader)->Read(kArtifactChunk);
    if (!data.ok()) {
      return {grpc::StatusCode::INTERNAL, std::string(data.status().message())};
    }
    if (data->empty()) {
      break;
    }
    chunk.set_data(std::move(*data));
    if (!writer->Write(chunk)) {
      return {grpc::StatusCode::CANCELLED, "the agent went away"};
    }
    chunk.clear_size();
  }
  return grpc::Status::OK;
}

}  // namespace nanoplane::controller
