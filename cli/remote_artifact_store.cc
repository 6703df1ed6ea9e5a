#include "cli/remote_artifact_store.h"

#include <chrono>

#include "common/status.h"
#include "common/strings.h"
#include "controller/api/controller_service.h"

namespace nanoplane::cli {
namespace {

namespace apiv1 = ::nanoplane::api::v1;
using controller::api::FromGrpcStatus;

constexpr auto kStatTimeout = std::chrono::seconds(30);

absl::Status Annotated(const grpc::Status& status, std::string_view what) {
  absl::Status converted = FromGrpcStatus(status);
  return absl::Status(converted.code(),
                      StrCat("the controller's artifact store: ", what, ": ", converted.message()));
}

// One UploadArtifact call: the first message names the digest, each Append
// is one message, Commit closes the stream and reads the controller's answer
// (which checked the digest).
class UploadWriter : public controller::ports::BlobWriter {
 public:
  UploadWriter(apiv1::Controller::StubInterface& stub, std::string digest)
      : digest_(std::move(digest)), writer_(stub.UploadArtifact(&context_, &response_)) {}

  ~UploadWriter() override { Abort(); }

  absl::Status Append(std::string_view bytes) override {
    if (done_) {
      return absl::FailedPreconditionError("upload already finished");
    }
    apiv1::UploadArtifactRequest chunk;
    if (!sent_digest_) {
      chunk.set_sha256(digest_);
      sent_digest_ = true;
    }
    chunk.set_data(std::string(bytes));
    if (!writer_->Write(chunk)) {
      // The stream broke; Finish says why.
      done_ = true;
      return Annotated(writer_->Finish(), StrCat("upload ", digest_));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Commit() override {
    if (done_) {
      return absl::FailedPreconditionError("upload already finished");
    }
    if (!sent_digest_) {
      NP_RETURN_IF_ERROR(Append(""));  // an empty blob still names its digest
    }
    done_ = true;
    writer_->WritesDone();
    grpc::Status status = writer_->Finish();
    if (!status.ok()) {
      return Annotated(status, StrCat("upload ", digest_));
    }
    return response_.size();
  }

  void Abort() override {
    if (done_) {
      return;
    }
    done_ = true;
    context_.TryCancel();
    (void)writer_->Finish();
  }

 private:
  std::string digest_;
  grpc::ClientContext context_;
  apiv1::UploadArtifactResponse response_;
  std::unique_ptr<grpc::ClientWriterInterface<apiv1::UploadArtifactRequest>> writer_;
  bool sent_digest_ = false;
  bool done_ = false;
};

absl::Status NotOffered(std::string_view what) {
  return absl::UnimplementedError(
      StrCat(what, " is done by the nanoplane controller itself, not through its API"));
}

}  // namespace

absl::StatusOr<std::optional<int64_t>> RemoteArtifactStore::Stat(const std::string& digest) {
  NP_ASSIGN_OR_RETURN(apiv1::Controller::StubInterface * stub, connect_());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kStatTimeout);
  apiv1::StatArtifactRequest request;
  request.set_sha256(digest);
  apiv1::StatArtifactResponse response;
  if (grpc::Status status = stub->StatArtifact(&context, request, &response); !status.ok()) {
    return Annotated(status, StrCat("stat ", digest));
  }
  if (!response.present()) {
    return std::nullopt;
  }
  return response.size();
}

absl::StatusOr<std::unique_ptr<controller::ports::BlobWriter>> RemoteArtifactStore::StartPut(
    const std::string& digest) {
  NP_ASSIGN_OR_RETURN(apiv1::Controller::StubInterface * stub, connect_());
  return std::make_unique<UploadWriter>(*stub, digest);
}

absl::StatusOr<bool> RemoteArtifactStore::Has(const std::string& digest) {
  NP_ASSIGN_OR_RETURN(std::optional<int64_t> size, Stat(digest));
  return size.has_value();
}

absl::StatusOr<int64_t> RemoteArtifactStore::Size(const std::string& digest) {
  NP_ASSIGN_OR_RETURN(std::optional<int64_t> size, Stat(digest));
  if (!size.has_value()) {
    return absl::NotFoundError(StrCat("no artifact ", digest, " in the controller's store"));
  }
  return *size;
}

absl::StatusOr<std::unique_ptr<controller::ports::BlobReader>> RemoteArtifactStore::Get(
    const std::string&) {
  return NotOffered("reading a blob");
}

absl::StatusOr<std::vector<std::string>> RemoteArtifactStore::List() {
  return NotOffered("listing the blobs");
}

absl::StatusOr<controller::ports::GcResult> RemoteArtifactStore::GarbageCollect(
    const std::set<std::string>&, absl::Duration) {
  return NotOffered("garbage collection");
}

}  // namespace nanoplane::cli
