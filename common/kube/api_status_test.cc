#include "common/kube/api_status.h"

#include "common/kube/test_status_bodies.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

using ::testing::HasSubstr;

// absl::Status's == compares payloads too, and these errors carry the ApiStatus.
void ExpectStatus(const absl::Status& status, const absl::Status& expected) {
  EXPECT_EQ(status.code(), expected.code()) << status;
  EXPECT_EQ(status.message(), expected.message());
}

const RequestInfo kList{.method = "GET",
                        .path = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels",
                        .server = "https://127.0.0.1:6443",
                        .credentials = "user \"x\" in kubeconfig ~/.kube/config"};
const RequestInfo kGetWeb{.method = "GET",
                          .path = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels/web",
                          .server = "https://127.0.0.1:6443",
                          .credentials = "user \"x\" in kubeconfig ~/.kube/config"};

TEST(ApiStatusTest, DecodesAStatus) {
  auto status = DecodeApiStatus(test::kInvalid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 422);
  EXPECT_EQ(status->reason, "Invalid");
  EXPECT_EQ(status->name, "web");
  EXPECT_EQ(status->group, "nanoplane.dev");
  EXPECT_EQ(status->kind, "Unikernel");
  ASSERT_EQ(status->causes.size(), 1u);
  EXPECT_EQ(status->causes[0].field, "spec.replicas");
  EXPECT_FALSE(DecodeApiStatus(test::kPageNotFound).has_value());
  EXPECT_FALSE(DecodeApiStatus(R"({"kind":"ConfigMap"})").has_value());
}

TEST(ApiStatusTest, UnauthorizedNamesUserAndKubeconfig) {
  ExpectStatus(ErrorFromResponse(401, test::kUnauthorized, kList),
            absl::UnauthenticatedError(
                "the Kubernetes API server at https://127.0.0.1:6443 rejected the credentials (401 "
                "Unauthorized) of user \"x\" in kubeconfig ~/.kube/config"));
}

TEST(ApiStatusTest, ForbiddenKeepsTheServersMessage) {
  ExpectStatus(ErrorFromResponse(403, test::kForbiddenList, kList),
            absl::PermissionDeniedError(
                "unikernels.nanoplane.dev is forbidden: User \"x\" cannot list resource \"unikernels\" "
                "in API group \"nanoplane.dev\" in the namespace \"default\""));
}

TEST(ApiStatusTest, UnknownResourceSaysInstallTheCrds) {
  absl::Status status = ErrorFromResponse(404, test::kPageNotFound, kList);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(),
              HasSubstr("the server has no resource unikernels.nanoplane.dev; install crds/"));
  // Newer servers send a Status without details: the same meaning.
  status = ErrorFromResponse(
      404,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404})",
      kGetWeb);
  EXPECT_THAT(status.message(), HasSubstr("the server has no resource unikernels.nanoplane.dev"));
}

TEST(ApiStatusTest, ObjectNotFoundKeepsTheServersMessage) {
  absl::Status status = ErrorFromResponse(404, test::kObjectNotFound, kGetWeb);
  ExpectStatus(status, absl::NotFoundError("unikernels.nanoplane.dev \"web\" not found"));
  EXPECT_EQ(ApiStatusOf(status)->name, "web");
}

TEST(ApiStatusTest, ConflictsByReason) {
  absl::Status exists = ErrorFromResponse(409, test::kAlreadyExists, kList);
  ExpectStatus(exists, absl::AlreadyExistsError("unikernels.nanoplane.dev \"web\" already exists"));
  absl::Status conflict = ErrorFromResponse(409, test::kConflict, kGetWeb);
  EXPECT_EQ(conflict.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(conflict.message(), HasSubstr("the object has been modified"));
  EXPECT_EQ(ApiStatusOf(exists)->reason, "AlreadyExists");
  EXPECT_EQ(ApiStatusOf(conflict)->reason, "Conflict");
  EXPECT_EQ(ApiStatusOf(conflict)->code, 409);
}

TEST(ApiStatusTest, GoneIsOutOfRange) {
  ExpectStatus(ErrorFromResponse(410, test::kGone, kList),
            absl::OutOfRangeError("too old resource version: 1 (1234)"));
}

TEST(ApiStatusTest, InvalidNamesTheFields) {
  absl::Status status = ErrorFromResponse(422, test::kInvalid, kGetWeb);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("spec.replicas: Invalid value: -1"));
  // A cause whose field the message leaves out is added.
  auto invalid = *DecodeApiStatus(test::kInvalid);
  invalid.message = "Unikernel.nanoplane.dev \"web\" is invalid";
  EXPECT_THAT(ErrorFromApiStatus(invalid, kGetWeb).message(),
              HasSubstr("is invalid (spec.replicas: Invalid value: -1"));
}

TEST(ApiStatusTest, BadRequestAndServerErrors) {
  absl::Status bad = ErrorFromResponse(400, test::kBadRequest, kGetWeb);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("answered 400 Bad Request to GET "));
  EXPECT_THAT(bad.message(), HasSubstr("error decoding patch"));
  EXPECT_EQ(ErrorFromResponse(429, test::kTooManyRequests, kList).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorFromResponse(503, test::kServiceUnavailable, kList).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorFromResponse(500, test::kInternalError, kList).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorFromResponse(504, "", kList).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ErrorFromResponse(502, "<html>bad gateway</html>", kList).code(),
            absl::StatusCode::kUnavailable);
}

TEST(ApiStatusTest, OtherErrorsHaveNoApiStatus) {
  EXPECT_FALSE(ApiStatusOf(absl::UnavailableError("x")).has_value());
}

TEST(ApiStatusTest, QualifiedResourceOfPaths) {
  EXPECT_EQ(QualifiedResource("/api/v1/namespaces"), "namespaces");
  EXPECT_EQ(QualifiedResource("/api/v1/namespaces/kube-system"), "namespaces");
  EXPECT_EQ(QualifiedResource("/api/v1/namespaces/default/configmaps/x"), "configmaps");
  EXPECT_EQ(QualifiedResource("/apis/nanoplane.dev/v1alpha1/hosts/h1/status"), "hosts.nanoplane.dev");
  EXPECT_EQ(QualifiedResource("/apis/nanoplane.dev/v1alpha1/namespaces/d/unikernels"),
            "unikernels.nanoplane.dev");
  EXPECT_EQ(QualifiedResource("/healthz"), "");
}

}  // namespace
}  // namespace nanoplane::kube
