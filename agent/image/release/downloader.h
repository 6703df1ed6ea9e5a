#pragma once

// Fetching a URL into a file: a port, so the release store can be tested
// without a network (and with one, against a local server).

#include <string>

#include "absl/status/status.h"

namespace nanoplane::image {

class Downloader {
 public:
  virtual ~Downloader() = default;

  // Writes the body of `url` to `dest_path` (created or truncated), following
  // redirects. NotFound for HTTP 404; Unavailable for network errors and other
  // non-2xx answers (retry may help); the message names the URL.
  [[nodiscard]] virtual absl::Status Download(const std::string& url,
                                              const std::string& dest_path) = 0;
};

// The HTTP(S) downloader, over cpprestsdk. Thread-safe.
class HttpDownloader : public Downloader {
 public:
  // ports::Downloader
  absl::Status Download(const std::string& url, const std::string& dest_path) override;
};

}  // namespace nanoplane::image
