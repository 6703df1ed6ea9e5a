// WATCH as the real server's cacher serves it (storage/cacher/cacher.go and
// watch_cache.go): "" and "0" start with ADDED for every current object; a
// resourceVersion N replays the changes after N; one older than the window
// gets a 200 and then one ERROR event (410 Expired, "too old resource
// version: N (M)"); selectors turn a change into ADDED/DELETED when an object
// starts/stops matching; bookmarks carry only metadata.resourceVersion.

#include "absl/time/clock.h"
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/fake_api_server.h"
#include "common/kube/testing/object_meta.h"
#include "common/kube/testing/selectors.h"

namespace nanoplane::kube::testing {

struct FakeApiServer::WatchParams {
  ResourceInfo resource;
  std::string ns;
  Selectors selectors;
  bool bookmarks = false;
  absl::Time deadline = absl::InfiniteFuture();

  bool Matches(const ObjectKey& key, const Json& object) const {
    if (object.is_null() || (!ns.empty() && key.ns != ns)) {
      return false;
    }
    return selectors.Matches(LabelsOf(object), SelectableFields(resource, object));
  }
};

namespace {

std::string EventLine(const std::string& type, const Json& object) {
  return Json{{"type", type}, {"object", object}}.dump() + "\n";
}

// The cacher's bookmark: an empty object of the kind with only the
// resourceVersion (typed built-ins also write their zero creationTimestamp).
Json BookmarkObject(const ResourceInfo& r, int64_t revision) {
  Json meta = {{"resourceVersion", StrCat(revision)}};
  if (!r.custom) {
    meta["creationTimestamp"] = nullptr;
  }
  return {{"kind", r.kind}, {"apiVersion", r.ApiVersion()}, {"metadata", meta}};
}

// The event type a watcher with a selector sees for a change, or "".
std::string Visible(const Change& c, bool was, bool is) {
  if (c.type == "DELETED") {
    return was ? "DELETED" : "";
  }
  if (was && is) {
    return c.type;
  }
  if (is) {
    return "ADDED";
  }
  return was ? "DELETED" : "";
}

}  // namespace

void FakeApiServer::ServeWatch(const HttpRequest& request, const VerbRequest& verb,
                               ResponseWriter& writer) {
  auto fail = [&](const absl::Status& s) {
    writer.Send(ErrorCode(s), "application/json", ErrorBody(s).dump());
  };
  WatchParams p{.resource = verb.resource, .ns = verb.ns};
  std::string field_text = verb.Query("fieldSelector");
  if (!verb.name.empty()) {
    // GET .../name?watch=1 watches that one object.
    field_text = StrCat(field_text.empty() ? "" : field_text + ",", "metadata.name=", verb.name);
  }
  auto selectors = ParseSelectors(verb.Query("labelSelector"), field_text,
                                  verb.resource.field_selectors);
  int64_t rv = 0;
  int64_t timeout = 0;
  if (!selectors.ok()) {
    fail(selectors.status());
    return;
  }
  if (!verb.Query("resourceVersion").empty() && !absl::SimpleAtoi(verb.Query("resourceVersion"), &rv)) {
    fail(BadRequest(StrCat("invalid resource version: ", verb.Query("resourceVersion"))));
    return;
  }
  if (!verb.Query("timeoutSeconds").empty() && absl::SimpleAtoi(verb.Query("timeoutSeconds"), &timeout) &&
      timeout > 0) {
    p.deadline = absl::Now() + absl::Seconds(timeout);
  }
  p.selectors = *std::move(selectors);
  p.bookmarks = QueryBool(verb.Query("allowWatchBookmarks"));

  std::vector<std::pair<std::string, Json>> pending;
  int64_t cursor = 0;
  absl::Status too_old;
  {
    auto lock = store_.Lock();
    cursor = store_.RevisionLocked();
    if (rv == 0) {
      for (const Json& o : store_.ListLocked(p.resource.storage, p.ns)) {
        ObjectKey key{p.resource.storage, o["metadata"].value("namespace", ""),
                      o["metadata"].value("name", "")};
        if (p.Matches(key, o)) {
          pending.emplace_back("ADDED", o);
        }
      }
    } else {
      // A version from the future: the cacher delivers what comes after it.
      cursor = std::max(cursor, rv);
      auto changes = store_.ChangesSinceLocked(p.resource.storage, rv);
      if (!changes.ok()) {
        too_old = Expired(StrCat("too old resource version: ", rv, " (",
                                       changes.status().message(), ")"));
      } else {
        for (const Change& c : *changes) {
          std::string type = Visible(c, p.Matches(c.key, c.previous),
                                     c.type != "DELETED" && p.Matches(c.key, c.object));
          if (!type.empty()) {
            pending.emplace_back(type, c.object);
          }
        }
      }
    }
  }
  if (!writer.StartStream(200, "application/json")) {
    return;
  }
  if (!too_old.ok()) {
    writer.WriteChunk(EventLine("ERROR", ErrorBody(too_old)));
    return;
  }
  ++open_watches_;
  const int64_t end_epoch = end_epoch_.load();
  int64_t bookmark_epoch = bookmark_epoch_.load();
  // cacheWatcher.nextBookmarkTime: every interval, and once 2 s before the
  // deadline; none once that moment has passed.
  auto next_bookmark = [&] {
    absl::Time now = absl::Now();
    absl::Time t = std::min(now + options_.bookmark_interval, p.deadline - absl::Seconds(2));
    return t < now ? absl::InfiniteFuture() : t;
  };
  absl::Time bookmark_at = next_bookmark();
  while (true) {
    for (auto& [type, object] : pending) {
      Json served = Render(request, p.resource, verbs_.FromStorage(p.resource, object));
      if (!writer.WriteChunk(EventLine(type, served))) {
        --open_watches_;
        return;
      }
    }
    pending.clear();
    if (stopping_ || end_epoch_.load() != end_epoch || absl::Now() >= p.deadline ||
        writer.PeerClosed()) {
      break;
    }
    if (p.bookmarks && (absl::Now() >= bookmark_at || bookmark_epoch_.load() != bookmark_epoch)) {
      bookmark_epoch = bookmark_epoch_.load();
      bookmark_at = next_bookmark();
      if (!writer.WriteChunk(EventLine("BOOKMARK", BookmarkObject(p.resource, cursor)))) {
        break;
      }
    }
    store_.WaitForRevision(cursor, std::min(p.deadline, absl::Now() + absl::Milliseconds(50)));
    auto lock = store_.Lock();
    auto changes = store_.ChangesSinceLocked(p.resource.storage, cursor);
    if (!changes.ok()) {
      // The window moved past this watcher: the real cacher would have kept
      // its events in the watcher's buffer, or ended it; end it.
      break;
    }
    for (const Change& c : *changes) {
      std::string type = Visible(c, p.Matches(c.key, c.previous),
                                 c.type != "DELETED" && p.Matches(c.key, c.object));
      if (!type.empty()) {
        pending.emplace_back(type, c.object);
      }
    }
    cursor = std::max(cursor, store_.RevisionLocked());
  }
  --open_watches_;
}

}  // namespace nanoplane::kube::testing
