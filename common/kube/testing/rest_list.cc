// LIST: selectors, resourceVersion semantics and paging, as the real server
// serves them (the watch cache for resourceVersion "0", etcd otherwise).

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/object_meta.h"
#include "common/kube/testing/rest_verbs.h"
#include "common/kube/testing/selectors.h"

namespace nanoplane::kube::testing {
namespace {

constexpr char kExpired[] = "The resourceVersion for the provided list is too old.";
constexpr char kContinueExpired[] =
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter.";

std::string KeyPath(const Json& object) {
  const Json& meta = object["metadata"];
  std::string ns = meta.value("namespace", "");
  std::string name = meta.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

// etcd3's continue token: base64url({"v":"meta.k8s.io/v1","rv":N,"start":"<key>\0"}).
std::string EncodeContinue(const std::string& last_key, int64_t rv) {
  Json token = {{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", last_key + std::string(1, '\0')}};
  std::string encoded = absl::WebSafeBase64Escape(token.dump());
  return encoded;
}

struct Continue {
  std::string start;
  int64_t rv = 0;
};

absl::StatusOr<Continue> DecodeContinue(const std::string& value) {
  std::string data;
  if (!absl::WebSafeBase64Unescape(value, &data)) {
    return BadRequest("continue key is not valid: illegal base64 data");
  }
  Json token = Json::parse(data, nullptr, false);
  if (token.is_discarded() || !token.is_object()) {
    return BadRequest("continue key is not valid: invalid JSON");
  }
  if (token.value("v", "") != "meta.k8s.io/v1") {
    return BadRequest(StrCat(
        "continue key is not valid: server does not recognize this encoded version \"",
        token.value("v", ""), "\""));
  }
  Continue c{.start = token.value("start", ""), .rv = token.value("rv", int64_t{0})};
  if (c.rv == 0) {
    return BadRequest(
        "continue key is not valid: incorrect encoded start resourceVersion (version "
        "meta.k8s.io/v1)");
  }
  if (c.start.empty()) {
    return BadRequest("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
  }
  return c;
}

}  // namespace

absl::StatusOr<VerbResponse> RestVerbs::List(const VerbRequest& request) {
  const ResourceInfo& r = request.resource;
  auto selectors = ParseSelectors(request.Query("labelSelector"), request.Query("fieldSelector"),
                                  r.field_selectors);
  if (!selectors.ok()) {
    return selectors.status();
  }
  int64_t limit = 0;
  if (!request.Query("limit").empty() && !absl::SimpleAtoi(request.Query("limit"), &limit)) {
    return BadRequest("limit must be an integer");
  }
  const std::string rv_param = request.Query("resourceVersion");
  const std::string match = request.Query("resourceVersionMatch");
  const std::string cont = request.Query("continue");
  int64_t rv = 0;
  if (!rv_param.empty() && !absl::SimpleAtoi(rv_param, &rv)) {
    return BadRequest(StrCat("invalid resource version: ", rv_param));
  }
  if (!cont.empty() && !rv_param.empty() && rv_param != "0") {
    return BadRequest("specifying resource version is not allowed when using continue");
  }
  // The watch cache answers resourceVersion=0 with everything, ignoring limit.
  if (rv_param == "0" && match != "Exact") {
    limit = 0;
  }
  if (rv > 0 && match != "Exact") {
    // NotOlderThan: wait a moment for the store to reach it, as the cacher does.
    int64_t now = store_.WaitForRevision(rv - 1, absl::Now() + absl::Seconds(3));
    if (now < rv) {
      Json details = {{"causes", Json::array({{{"reason", "ResourceVersionTooLarge"},
                                               {"message", "Too large resource version"}}})},
                      {"retryAfterSeconds", 1}};
      return ApiError(504, "Timeout",
                      StrCat("Timeout: Too large resource version: ", rv, ", current: ", now),
                      details);
    }
  }
  auto lock = store_.Lock();
  std::string start;
  int64_t read_at = store_.RevisionLocked();
  bool exact = (rv > 0 && (match == "Exact" || limit > 0));
  if (!cont.empty()) {
    auto token = DecodeContinue(cont);
    if (!token.ok()) {
      return token.status();
    }
    start = token->start;
    read_at = token->rv;
    exact = true;
  } else if (exact) {
    read_at = rv;
  }
  std::vector<Json> objects;
  const std::string ns = r.namespaced ? request.ns : "";
  if (exact) {
    auto snapshot = store_.ListAtLocked(r.storage, ns, read_at);
    if (!snapshot.ok()) {
      return Expired(cont.empty() ? kExpired : kContinueExpired);
    }
    objects = *std::move(snapshot);
  } else {
    objects = store_.ListLocked(r.storage, ns);
  }
  Json items = Json::array();
  Json meta = {{"resourceVersion", StrCat(read_at)}};
  int64_t remaining = 0;
  std::string last_key;
  for (const Json& object : objects) {
    if (!start.empty() && KeyPath(object) < start) {
      continue;
    }
    if (!selectors->Matches(LabelsOf(object), SelectableFields(r, object))) {
      continue;
    }
    if (limit > 0 && static_cast<int64_t>(items.size()) >= limit) {
      ++remaining;
      continue;
    }
    last_key = KeyPath(object);
    items.push_back(FromStorage(r, object));
  }
  if (remaining > 0) {
    meta["continue"] = EncodeContinue(last_key, read_at);
    if (selectors->Empty()) {
      meta["remainingItemCount"] = remaining;
    }
  }
  return VerbResponse{200, {{"kind", r.list_kind}, {"apiVersion", r.ApiVersion()},
                            {"metadata", meta}, {"items", items}}};
}

}  // namespace nanoplane::kube::testing
