// libFuzzer target: the Kubernetes JSON the client reads from a server, on
// arbitrary bytes: a watch stream (the input fed in reads of varying sizes, as
// chunks arrive) and a failure body mapped to a status. Beyond "never
// crashes": the stream ends with an error, never OK, and every event it hands
// over has a type and an object.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/kube/api_status.h"
#include "common/kube/watch_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanoplane::kube;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const RequestInfo info{.method = "GET", .path = "/apis/nanoplane.dev/v1alpha1/unikernels"};
  for (int code : {404, 409, 422, 503}) {
    (void)ErrorFromResponse(code, text, info);
  }
  size_t at = 0;
  WatchStream::Body body{
      .read =
          [&]() -> absl::StatusOr<std::string> {
            // Read sizes from the data itself: 1 to 64 bytes.
            size_t n = at < text.size() ? 1 + static_cast<uint8_t>(text[at]) % 64 : 0;
            std::string out(text.substr(at, n));
            at += out.size();
            return out;
          },
      .cancel = [] {}};
  WatchStream stream(std::move(body), info);
  while (true) {
    auto next = stream.Next(absl::InfiniteFuture());
    if (!next.ok()) {
      break;
    }
    for (const WatchEvent& event : *next) {
      if (event.type.empty() || !event.object.is_object()) {
        std::abort();
      }
    }
    if (next->empty()) {
      std::fprintf(stderr, "Next returned nothing before the deadline\n");
      std::abort();
    }
  }
  return 0;
}
