#include "agent/adapters/grpc_controller_link.h"

#include <fstream>
#include <random>
#include <sstream>

#include "common/files.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/strings.h"
#include "grpcpp/grpcpp.h"

namespace nanoplane::agent {
namespace {

absl::Status FromGrpc(const grpc::Status& status, std::string_view what) {
  std::string message = StrCat(what, ": ", status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(message);
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

// Sends one log request's chunks on the stream it arrived on.
class GrpcControllerLink::Sink : public LogSink {
 public:
  Sink(std::shared_ptr<Connection> connection, std::string id)
      : connection_(std::move(connection)), id_(std::move(id)) {}

  bool Send(std::string_view data, int64_t offset) override {
    if (cancelled_) {
      return false;
    }
    v1::AgentMessage message;
    auto* chunk = message.mutable_log_chunk();
    chunk->set_request_id(id_);
    chunk->set_data(std::string(data));
    chunk->set_offset(offset);
    if (!connection_->Write(message)) {
      cancelled_ = true;
    }
    return !cancelled_;
  }

  void End(const std::string& error) override {
    v1::AgentMessage message;
    message.mutable_log_chunk()->set_request_id(id_);
    message.mutable_log_chunk()->set_end(true);
    message.mutable_log_chunk()->set_error(error);
    connection_->Write(message);
    cancelled_ = true;
  }

  bool cancelled() const override { return cancelled_; }
  void Cancel() { cancelled_ = true; }

 private:
  std::shared_ptr<Connection> connection_;
  std::string id_;
  std::atomic<bool> cancelled_{false};
};

absl::StatusOr<std::unique_ptr<GrpcControllerLink>> GrpcControllerLink::Create(
    GrpcControllerLinkOptions options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadFileToString(options.ca_file);
    if (!ca.ok()) {
      return ca.status();
    }
    ssl.pem_root_certs = *ca;
    if (!options.cert_file.empty()) {
      auto cert = ReadFileToString(options.cert_file);
      auto key = ReadFileToString(options.key_file);
      if (!cert.ok() || !key.ok()) {
        return !cert.ok() ? cert.status() : key.status();
      }
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  return std::unique_ptr<GrpcControllerLink>(
      new GrpcControllerLink(std::move(options), std::move(credentials)));
}

GrpcControllerLink::GrpcControllerLink(GrpcControllerLinkOptions options,
                                       std::shared_ptr<grpc::ChannelCredentials> credentials)
    : options_(std::move(options)), credentials_(std::move(credentials)) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // Keepalives notice a dead controller (or a dead network path) within seconds.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(options_.initial_backoff.count()));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, static_cast<int>(options_.initial_backoff.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(options_.max_backoff.count()));
  channel_ = grpc::CreateCustomChannel(options_.address, credentials_, args);
  stub_ = v1::AgentHub::NewStub(channel_);
}

GrpcControllerLink::~GrpcControllerLink() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (context_) {
      context_->TryCancel();
    }
    wake_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void GrpcControllerLink::Start(ControllerLinkHandlers handlers) {
  handlers_ = std::move(handlers);
  thread_ = std::thread([this] { Run(); });
}

void GrpcControllerLink::Run() {
  std::chrono::milliseconds backoff = options_.initial_backoff;
  while (!stopping_) {
    if (RunOnce()) {
      backoff = options_.initial_backoff;  // it was up: reconnect promptly
    }
    if (!stopping_) {
      SleepBackoff(backoff);
    }
  }
}

void GrpcControllerLink::SleepBackoff(std::chrono::milliseconds& backoff) {
  // Full jitter: a thousand agents reconnecting after a controller restart spread out.
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait_for(lock, std::chrono::milliseconds(jitter(random)),
                 [this] { return stopping_.load(); });
  backoff = std::min(options_.max_backoff, backoff * 2);
}

bool GrpcControllerLink::RunOnce() {
  std::shared_ptr<Connection> connection = std::make_shared<Connection>();
  {
    std::lock_guard<std::mutex> guard(mutex_);
    context_ = std::make_unique<grpc::ClientContext>();
    stream_ = stub_->Connect(context_.get());
    connection->stream = stream_.get();
    connection_ = connection;
  }
  v1::AgentMessage hello;
  *hello.mutable_hello() = handlers_.hello();
  bool up = connection->Write(hello);
  if (up) {
    connected_ = true;
    Log(LogLevel::kInfo, "connected to controller", {{"address", options_.address}});
    v1::ControllerMessage message;
    while (stream_->Read(&message)) {
      Dispatch(message);
    }
    connected_ = false;
  }
  // No sink may write to the stream once it is finished and freed.
  connection->Close();
  std::map<std::string, std::shared_ptr<Sink>> orphans;
  grpc::Status status;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    orphans.swap(sinks_);
    connection_.reset();
    status = stream_->Finish();
  }
  for (auto& [id, sink] : orphans) {
    sink->Cancel();
  }
  if (up) {
    Log(stopping_ ? LogLevel::kDebug : LogLevel::kWarn, "disconnected from controller",
        {{"address", options_.address}, {"error", status.error_message()}});
  } else {
    Log(LogLevel::kDebug, "controller unreachable",
        {{"address", options_.address}, {"error", status.error_message()}});
  }
  return up;
}

void GrpcControllerLink::Dispatch(const v1::ControllerMessage& message) {
  if (message.has_assignment()) {
    if (handlers_.on_assignment) {
      handlers_.on_assignment(message.assignment());
    }
  } else if (message.has_log_request()) {
    std::shared_ptr<Sink> sink;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      sink = std::make_shared<Sink>(connection_, message.log_request().request_id());
      sinks_[message.log_request().request_id()] = sink;
    }
    if (handlers_.on_log_request) {
      handlers_.on_log_request(message.log_request(), sink);
    } else {
      sink->End("this agent serves no logs");
    }
  } else if (message.has_cancel_log_request()) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (auto it = sinks_.find(message.cancel_log_request().request_id()); it != sinks_.end()) {
      it->second->Cancel();
      sinks_.erase(it);
    }
  }
}

bool GrpcControllerLink::Write(const v1::AgentMessage& message) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    connection = connection_;
  }
  return connection != nullptr && connection->Write(message);
}

void GrpcControllerLink::Report(const v1::Report& report) {
  if (!connected_) {
    return;
  }
  v1::AgentMessage message;
  *message.mutable_report() = report;
  Write(message);
}

absl::Status GrpcControllerLink::FetchArtifact(const std::string& sha256,
                                               const std::string& dest_path) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  v1::FetchArtifactRequest request;
  request.set_sha256(sha256);
  auto reader = stub_->FetchArtifact(&context, request);
  std::string temp = dest_path + ".part";
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  Sha256 hasher;
  v1::ArtifactChunk chunk;
  while (reader->Read(&chunk)) {
    hasher.Update(chunk.data());
    out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
  }
  out.close();
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    std::remove(temp.c_str());
    return FromGrpc(status, StrCat("fetch artifact ", sha256));
  }
  if (std::string digest = hasher.HexDigest(); digest != sha256 || !out) {
    std::remove(temp.c_str());
    return absl::InvalidArgumentError(StrCat("artifact ", sha256, " arrived with sha256 ", digest));
  }
  if (std::rename(temp.c_str(), dest_path.c_str()) != 0) {
    return absl::InternalError(StrCat("rename ", temp, " to ", dest_path));
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::agent
