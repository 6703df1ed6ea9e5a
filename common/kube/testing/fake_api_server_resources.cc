// FakeApiServer: resource requests, from the path to a verb and back to JSON.

#include "absl/time/clock.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/discovery.h"
#include "common/kube/testing/fake_api_server.h"

namespace nanoplane::kube::testing {
namespace {

absl::Status ResourceNotFound() {
  return ApiError(404, "NotFound", "the server could not find the requested resource",
                  Json::object());
}

bool WantsTable(const HttpRequest& request) {
  return absl::StrContains(request.Header("accept"), "as=Table");
}

}  // namespace

Json FakeApiServer::Render(const HttpRequest& request, const ResourceInfo& resource,
                           const Json& body) const {
  if (!WantsTable(request) || !body.is_object() || body.value("kind", "") == "Status") {
    return body;
  }
  std::string include = request.Query("includeObject");
  bool headers = !QueryBool(request.Query("noHeaders"));
  if (body.contains("items") && body["items"].is_array()) {
    std::vector<Json> items(body["items"].begin(), body["items"].end());
    return ToTable(resource, items, body["metadata"], include, headers, absl::Now());
  }
  Json meta = {{"resourceVersion", body["metadata"].value("resourceVersion", "")}};
  return ToTable(resource, {body}, meta, include, headers, absl::Now());
}

void FakeApiServer::ServeResource(const HttpRequest& request, const RequestInfo& info,
                                  const UserInfo& user, ResponseWriter& writer) {
  auto send_error = [&](const absl::Status& status) {
    writer.Send(ErrorCode(status), "application/json", ErrorBody(status).dump());
  };
  std::optional<ResourceInfo> resource = registry_.Find(info.group, info.version, info.resource);
  bool sub_ok = info.subresource.empty() ||
                (resource.has_value() &&
                 ((info.subresource == "status" &&
                   (resource->status_subresource || resource->resource == "namespaces")) ||
                  (info.subresource == "scale" && resource->scale.has_value())));
  bool scope_ok = resource.has_value() &&
                  (resource->namespaced || info.ns.empty() ||
                   (resource->resource == "namespaces" && info.ns == info.name));
  if (!resource.has_value() || !sub_ok || !scope_ok) {
    send_error(ResourceNotFound());
    return;
  }
  if (absl::Status injected = InjectedFailure(info); !injected.ok()) {
    send_error(injected);
    return;
  }
  VerbRequest verb{.resource = *resource,
                   .ns = resource->namespaced ? info.ns : "",
                   .name = info.name,
                   .subresource = info.subresource,
                   .query = request.query,
                   .content_type = request.Header("content-type"),
                   .body = request.body};
  if (info.verb == "watch") {
    ServeWatch(request, verb, writer);
    return;
  }
  auto response = Dispatch(info, verb, user);
  if (!response.ok()) {
    send_error(response.status());
    return;
  }
  writer.Send(response->code, "application/json",
              Render(request, *resource, response->body).dump());
}

absl::StatusOr<VerbResponse> FakeApiServer::Dispatch(const RequestInfo& info,
                                                     const VerbRequest& verb,
                                                     const UserInfo& user) {
  const ResourceInfo& r = verb.resource;
  if (r.group == "authorization.k8s.io") {
    if (info.verb != "create") {
      return MethodNotSupported(r.gr(), info.verb);
    }
    return AccessReview(verb, user);
  }
  if (info.verb == "get") {
    return verbs_.Get(verb);
  }
  if (info.verb == "list") {
    return verbs_.List(verb);
  }
  if (info.verb == "create") {
    if (!verb.name.empty() || !verb.subresource.empty()) {
      return MethodNotSupported(r.gr(), "create");
    }
    return verbs_.Create(verb);
  }
  if (info.verb == "update") {
    return verbs_.Update(verb);
  }
  if (info.verb == "patch") {
    return verbs_.Patch(verb);
  }
  if (info.verb == "delete" && verb.subresource.empty()) {
    return verbs_.Delete(verb);
  }
  if (info.verb == "deletecollection" && r.resource != "namespaces") {
    return verbs_.DeleteCollection(verb);
  }
  return MethodNotSupported(r.gr(), info.verb);
}

// SelfSubjectAccessReview (kubectl auth can-i) and SubjectAccessReview:
// the same decision the fake makes for a request, not stored.
absl::StatusOr<VerbResponse> FakeApiServer::AccessReview(const VerbRequest& verb,
                                                         const UserInfo& user) {
  Json review = Json::parse(verb.body, nullptr, false);
  if (review.is_discarded() || !review.is_object()) {
    return BadRequest("the body of the request could not be decoded as an access review");
  }
  const Json spec = review.value("spec", Json::object());
  UserInfo subject = user;
  if (verb.resource.resource == "subjectaccessreviews") {
    subject = {spec.value("user", ""), {}};
    for (const Json& g : spec.value("groups", Json::array())) {
      subject.groups.push_back(g.get<std::string>());
    }
  }
  RequestInfo asked;
  if (spec.contains("resourceAttributes")) {
    const Json& a = spec["resourceAttributes"];
    asked = {.resource_request = true, .path = "", .verb = a.value("verb", ""),
             .group = a.value("group", ""), .version = a.value("version", ""),
             .ns = a.value("namespace", ""), .resource = a.value("resource", ""),
             .name = a.value("name", ""), .subresource = a.value("subresource", "")};
  } else {
    const Json a = spec.value("nonResourceAttributes", Json::object());
    asked = {.resource_request = false, .path = a.value("path", ""), .verb = a.value("verb", "")};
  }
  Decision decision = options_.rbac ? AuthorizeRbac(store_, subject, asked) : Decision{true, ""};
  Json status = {{"allowed", decision.allowed}};
  if (!decision.reason.empty()) {
    status["reason"] = decision.reason;
  }
  return VerbResponse{201, {{"kind", verb.resource.kind}, {"apiVersion", "authorization.k8s.io/v1"},
                            {"metadata", {{"creationTimestamp", nullptr}}}, {"spec", spec},
                            {"status", status}}};
}

}  // namespace nanoplane::kube::testing
