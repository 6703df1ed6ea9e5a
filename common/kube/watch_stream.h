#pragma once

// A watch: the events of one chunked GET ...?watch=true, decoded as they arrive
// (the API server writes one JSON object per line and flushes each).
//
// Next() hands over what has arrived; after the stream is over it returns why,
// and keeps returning it:
//   Unavailable      the server ended the watch (its timeoutSeconds ran out, or
//                    it restarted): IsWatchEnded(status) is true; resume from the
//                    last resourceVersion seen. Also when the connection broke.
//   OutOfRange       an ERROR event with a 410 Status: the version is too old, so
//                    relist
//   (other codes)    other ERROR events, mapped as in api_status.h
//   Internal         a line that is not a watch event
//   Cancelled        after Stop()
// Events that arrived before the end are all delivered before the end is.
// Thread-safety: Next() from one thread at a time; Stop() from any thread, any
// number of times; the destructor stops the stream and waits for its reader.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "common/kube/api_status.h"

namespace nanoplane::kube {

struct WatchEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR"
  Json object;
};

// One line of a watch stream. InvalidArgument when it is not {"type": ..., "object": {...}}.
[[nodiscard]] absl::StatusOr<WatchEvent> DecodeWatchEvent(std::string_view line);

// True for the status Next() returns when the server ended the watch cleanly.
bool IsWatchEnded(const absl::Status& status);

class WatchStream {
 public:
  // The transport, as two functions. `read` blocks for the next bytes of the
  // body: some bytes, "" at the body's clean end, or an error when the
  // connection broke. `cancel` makes a blocked `read` return soon.
  struct Body {
    std::function<absl::StatusOr<std::string>()> read;
    std::function<void()> cancel;
  };
  // Starts the reader thread. `request` names the watch in messages.
  WatchStream(Body body, RequestInfo request);
  ~WatchStream();
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // The events that have arrived, waiting until `deadline` for at least one;
  // OK and empty when the deadline passes first. An error when the stream is over.
  [[nodiscard]] absl::StatusOr<std::vector<WatchEvent>> Next(absl::Time deadline);

  // Ends the stream: a blocked Next() returns Cancelled promptly.
  void Stop();

 private:
  struct State;
  void Run();

  std::shared_ptr<State> state_;
  std::thread reader_;
};

}  // namespace nanoplane::kube
