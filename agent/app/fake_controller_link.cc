#include "agent/app/fake_controller_link.h"

#include <fstream>

#include "common/strings.h"

namespace nanoplane::agent::app::testing {

void FakeControllerLink::Start(ControllerLinkHandlers handlers) {
  absl::MutexLock lock(&mu_);
  handlers_ = std::move(handlers);
  started_ = true;
}

void FakeControllerLink::Report(const v1::Report& report) {
  absl::MutexLock lock(&mu_);
  reports_.push_back(report);
}

absl::Status FakeControllerLink::FetchArtifact(const std::string& sha256,
                                               const std::string& dest_path) {
  std::string content;
  {
    absl::MutexLock lock(&mu_);
    auto it = artifacts_.find(sha256);
    if (it == artifacts_.end()) {
      return absl::NotFoundError(StrCat("artifact ", sha256, ": not found"));
    }
    content = it->second;
  }
  std::ofstream out(dest_path, std::ios::binary);
  out << content;
  return out ? absl::OkStatus() : absl::InternalError(StrCat("write ", dest_path));
}

void FakeControllerLink::AddArtifact(const std::string& sha256, const std::string& content) {
  absl::MutexLock lock(&mu_);
  artifacts_[sha256] = content;
}

void FakeControllerLink::SendAssignment(const v1::Assignment& assignment) {
  std::function<void(const v1::Assignment&)> handler;
  {
    absl::MutexLock lock(&mu_);
    handler = handlers_.on_assignment;
  }
  handler(assignment);
}

void FakeControllerLink::SendLogRequest(const v1::LogRequest& request,
                                        std::shared_ptr<LogSink> sink) {
  std::function<void(const v1::LogRequest&, std::shared_ptr<LogSink>)> handler;
  {
    absl::MutexLock lock(&mu_);
    handler = handlers_.on_log_request;
  }
  handler(request, std::move(sink));
}

v1::Hello FakeControllerLink::Hello() {
  std::function<v1::Hello()> handler;
  {
    absl::MutexLock lock(&mu_);
    handler = handlers_.hello;
  }
  return handler();
}

std::vector<v1::Report> FakeControllerLink::reports() const {
  absl::MutexLock lock(&mu_);
  return reports_;
}

bool FakeControllerLink::started() const {
  absl::MutexLock lock(&mu_);
  return started_;
}

bool CollectingSink::Send(std::string_view data, int64_t offset) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) {
    return false;
  }
  data_.append(data);
  offsets_.push_back(offset);
  return true;
}

void CollectingSink::End(const std::string& error) {
  absl::MutexLock lock(&mu_);
  ended_ = true;
  error_ = error;
}

bool CollectingSink::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

void CollectingSink::cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
}

std::string CollectingSink::data() const {
  absl::MutexLock lock(&mu_);
  return data_;
}

bool CollectingSink::ended() const {
  absl::MutexLock lock(&mu_);
  return ended_;
}

std::string CollectingSink::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

std::vector<int64_t> CollectingSink::offsets() const {
  absl::MutexLock lock(&mu_);
  return offsets_;
}

}  // namespace nanoplane::agent::app::testing
