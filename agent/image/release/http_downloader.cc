#include <cpprest/filestream.h>
#include <cpprest/http_client.h>

#include "agent/image/release/downloader.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

constexpr int kMaxRedirects = 5;

bool IsRedirect(web::http::status_code code) {
  return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

}  // namespace

absl::Status HttpDownloader::Download(const std::string& url, const std::string& dest_path) {
  std::string current = url;
  try {
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
      web::http::client::http_client_config config;
      config.set_timeout(std::chrono::seconds(60));
      web::http::client::http_client client(web::uri(current), config);
      web::http::http_response response = client.request(web::http::methods::GET).get();
      web::http::status_code code = response.status_code();
      if (IsRedirect(code) && response.headers().has("Location")) {
        current = web::uri(current).resolve_uri(response.headers()["Location"]);
        continue;
      }
      if (code == 404) {
        return absl::NotFoundError(StrCat(url, ": HTTP 404 Not Found"));
      }
      if (code < 200 || code >= 300) {
        return absl::UnavailableError(StrCat(url, ": HTTP ", code, " ", response.reason_phrase()));
      }
      auto file = concurrency::streams::fstream::open_ostream(
                      dest_path, std::ios::out | std::ios::binary | std::ios::trunc)
                      .get();
      response.body().read_to_end(file.streambuf()).get();
      file.close().get();
      return absl::OkStatus();
    }
    return absl::UnavailableError(StrCat(url, ": more than ", kMaxRedirects, " redirects"));
  } catch (const std::exception& e) {
    return absl::UnavailableError(StrCat(url, ": ", e.what()));
  }
}

}  // namespace nanoplane::image
