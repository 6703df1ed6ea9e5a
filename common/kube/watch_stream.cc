#include "common/kube/watch_stream.h"

#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/cord.h"
#include "absl/synchronization/mutex.h"
#include "common/strings.h"

namespace nanoplane::kube {
namespace {

constexpr char kEndedPayloadUrl[] = "type.nanoplane.dev/kube.WatchEnded";

}  // namespace

struct WatchStream::State {
  Body body;
  RequestInfo request;
  absl::Mutex mu;
  absl::CondVar changed;
  std::deque<WatchEvent> events ABSL_GUARDED_BY(mu);
  absl::Status end ABSL_GUARDED_BY(mu);  // not OK once the stream is over
  bool stopped ABSL_GUARDED_BY(mu) = false;
};

absl::StatusOr<WatchEvent> DecodeWatchEvent(std::string_view line) {
  Json event = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) {
    return absl::InvalidArgumentError("a watch event is not a JSON object");
  }
  auto type = event.find("type");
  auto object = event.find("object");
  if (type == event.end() || !type->is_string() || object == event.end() ||
      !object->is_object()) {
    return absl::InvalidArgumentError("a watch event needs a string \"type\" and an \"object\"");
  }
  return WatchEvent{.type = type->get<std::string>(), .object = std::move(*object)};
}

bool IsWatchEnded(const absl::Status& status) {
  return status.GetPayload(kEndedPayloadUrl).has_value();
}

WatchStream::WatchStream(Body body, RequestInfo request)
    : state_(std::make_shared<State>()) {
  state_->body = std::move(body);
  state_->request = std::move(request);
  reader_ = std::thread([this] { Run(); });
}

WatchStream::~WatchStream() {
  Stop();
  reader_.join();
}

void WatchStream::Stop() {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->stopped) {
      return;
    }
    state_->stopped = true;
    if (state_->end.ok()) {
      state_->end = absl::CancelledError(StrCat("watch ", state_->request.path, " stopped"));
    }
    state_->changed.SignalAll();
  }
  state_->body.cancel();
}

absl::StatusOr<std::vector<WatchEvent>> WatchStream::Next(absl::Time deadline) {
  absl::MutexLock lock(&state_->mu);
  while (state_->events.empty() && state_->end.ok()) {
    if (state_->changed.WaitWithDeadline(&state_->mu, deadline)) {
      break;
    }
  }
  std::vector<WatchEvent> out;
  // Stop() means now: what is still queued is dropped.
  if (!state_->events.empty() && !state_->stopped) {
    out.assign(std::make_move_iterator(state_->events.begin()),
               std::make_move_iterator(state_->events.end()));
    state_->events.clear();
    return out;
  }
  if (!state_->end.ok()) {
    return state_->end;
  }
  return out;
}

// The reader thread: bytes into lines into events, until the body ends.
void WatchStream::Run() {
  State& state = *state_;
  std::string pending;
  absl::Status end;
  while (end.ok()) {
    absl::StatusOr<std::string> bytes = state.body.read();
    if (!bytes.ok()) {
      end = absl::UnavailableError(StrCat("watch ", state.request.path, " on ",
                                          state.request.server,
                                          ": connection lost: ", bytes.status().message()));
      break;
    }
    if (bytes->empty()) {
      end = absl::UnavailableError(StrCat("the Kubernetes API server ended the watch ",
                                          state.request.path, "; resume it"));
      end.SetPayload(kEndedPayloadUrl, absl::Cord("ended"));
      break;
    }
    pending.append(*bytes);
    std::vector<WatchEvent> decoded;
    size_t start = 0;
    for (size_t newline; end.ok() && (newline = pending.find('\n', start)) != std::string::npos;
         start = newline + 1) {
      std::string_view line(pending.data() + start, newline - start);
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) {
        continue;
      }
      absl::StatusOr<WatchEvent> event = DecodeWatchEvent(line);
      if (!event.ok()) {
        end = absl::InternalError(StrCat("watch ", state.request.path, ": ", event.status().message()));
      } else if (event->type == "ERROR") {
        auto api_status = ApiStatusFromJson(event->object).value_or(ApiStatus{.code = 500});
        end = ErrorFromApiStatus(api_status, state.request);
      } else {
        decoded.push_back(*std::move(event));
      }
    }
    pending.erase(0, start);
    absl::MutexLock lock(&state.mu);
    for (WatchEvent& event : decoded) {
      state.events.push_back(std::move(event));
    }
    if (!decoded.empty()) {
      state.changed.SignalAll();
    }
  }
  absl::MutexLock lock(&state.mu);
  if (state.end.ok()) {
    state.end = end;
  }
  state.changed.SignalAll();
}

}  // namespace nanoplane::kube
