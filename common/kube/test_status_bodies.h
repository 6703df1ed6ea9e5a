#pragma once

// Failure bodies as kube-apiserver v1.23 writes them (test-only), from
// apimachinery's pkg/api/errors constructors and the server's handlers:
// NewUnauthorized, NewForbidden (with the RBAC authorizer's reason), NewNotFound,
// NewAlreadyExists, NewConflict, NewInvalid, NewGone/Expired, NewTooManyRequests
// and notfoundhandler (a path that matches no resource gets Go's plain
// http.NotFound, not a Status). Checked against answers recorded from a real
// v1.23 server (/opt/k8s/samples): the same fields, reasons and messages; an
// unknown group or resource there is indeed text/plain "404 page not found",
// and a watch from a too old version is a 200 whose first line is an ERROR
// event with the 410 Status.

namespace nanoplane::kube::test {

inline constexpr char kUnauthorized[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})json";

inline constexpr char kForbiddenList[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"unikernels.nanoplane.dev is forbidden: User \"x\" cannot list resource \"unikernels\" in API group \"nanoplane.dev\" in the namespace \"default\"","reason":"Forbidden","details":{"group":"nanoplane.dev","kind":"unikernels"},"code":403})json";

inline constexpr char kPageNotFound[] = "404 page not found\n";  // text/plain

inline constexpr char kObjectNotFound[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"unikernels.nanoplane.dev \"web\" not found","reason":"NotFound","details":{"name":"web","group":"nanoplane.dev","kind":"unikernels"},"code":404})json";

inline constexpr char kAlreadyExists[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"unikernels.nanoplane.dev \"web\" already exists","reason":"AlreadyExists","details":{"name":"web","group":"nanoplane.dev","kind":"unikernels"},"code":409})json";

inline constexpr char kConflict[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on unikernels.nanoplane.dev \"web\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"web","group":"nanoplane.dev","kind":"unikernels"},"code":409})json";

inline constexpr char kGone[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (1234)","reason":"Expired","code":410})json";

inline constexpr char kInvalid[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unikernel.nanoplane.dev \"web\" is invalid: spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0","reason":"Invalid","details":{"name":"web","group":"nanoplane.dev","kind":"Unikernel","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: -1: spec.replicas in body should be greater than or equal to 0","field":"spec.replicas"}]},"code":422})json";

inline constexpr char kBadRequest[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"error decoding patch: invalid character 'x' looking for beginning of value","reason":"BadRequest","code":400})json";

inline constexpr char kTooManyRequests[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429})json";

inline constexpr char kServiceUnavailable[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the request has been made before all known HTTP paths have been installed, please try again","reason":"ServiceUnavailable","details":{"retryAfterSeconds":5},"code":503})json";

inline constexpr char kInternalError[] =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","details":{"causes":[{"message":"etcdserver: request timed out"}]},"code":500})json";

}  // namespace nanoplane::kube::test
