#include "common/kube/token_source.h"

#include <sys/stat.h>

#include <utility>

#include "common/files.h"
#include "common/strings.h"

namespace nanoplane::kube {
namespace {

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

FileTokenSource::FileTokenSource(std::string path, absl::Duration period,
                                 std::function<absl::Time()> now)
    : path_(std::move(path)), period_(period), now_(std::move(now)) {}

FileTokenSource::Stamp FileTokenSource::CurrentStamp() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    return Stamp{};
  }
  return Stamp{.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
               .size = static_cast<int64_t>(st.st_size)};
}

absl::StatusOr<std::string> FileTokenSource::Token() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = now_();
  const Stamp stamp = CurrentStamp();
  if (token_.empty() || now - read_at_ >= period_ || !(stamp == stamp_)) {
    auto text = ReadFileToString(path_);
    std::string token = text.ok() ? Trimmed(*std::move(text)) : "";
    if (!token.empty()) {
      token_ = std::move(token);
      stamp_ = stamp;
      read_at_ = now;
    }
  }
  if (token_.empty()) {
    return absl::UnauthenticatedError(StrCat("the token file ", path_, " cannot be read or is empty"));
  }
  return token_;
}

}  // namespace nanoplane::kube
