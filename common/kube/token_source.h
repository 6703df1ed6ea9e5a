#pragma once

// A bearer token kept in a file that rotates: a pod's projected service account
// token (renewed by the kubelet about hourly) or a kubeconfig's tokenFile. Like
// client-go's cached file token source, it re-reads the file at most every
// `period`, and at once when the file's modification time or size changes.
// When a re-read fails the last good token is kept, so a rotation caught
// mid-write does not fail requests.
// Thread-safe.

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace nanoplane::kube {

class FileTokenSource {
 public:
  explicit FileTokenSource(std::string path, absl::Duration period = absl::Minutes(1),
                           std::function<absl::Time()> now = [] { return absl::Now(); });

  // The current token. Unauthenticated naming the file (never its content) when
  // it has never been read successfully, or is empty.
  [[nodiscard]] absl::StatusOr<std::string> Token();

  const std::string& path() const { return path_; }

 private:
  struct Stamp {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    bool operator==(const Stamp&) const = default;
  };
  Stamp CurrentStamp() const;

  const std::string path_;
  const absl::Duration period_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  Stamp stamp_ ABSL_GUARDED_BY(mu_);
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace nanoplane::kube
