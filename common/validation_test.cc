// Each invalid manifest is the valid base with one merge patch (RFC 7386)
// applied, and must produce exactly one error, at exactly the expected path.

#include <gtest/gtest.h>

#include "common/manifest_reader.h"
#include "common/strings.h"
#include "common/yaml_json.h"

namespace nanoplane {
namespace {

constexpr const char* kBase = R"(
apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  template:
    image: {program: /web, source: {path: ./web}}
    ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]
    readinessProbe: {httpGet: {path: /, port: http}}
    livenessProbe: {tcpSocket: {port: 8080}}
)";

Json YamlValue(const std::string& text) {
  auto documents = ParseYamlDocuments(text);
  EXPECT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(documents->size(), 1u);
  return *(*documents)[0];
}

FieldErrors ErrorsAfterPatch(const std::string& patch) {
  Json document = YamlValue(kBase);
  document.merge_patch(YamlValue(patch));
  v1alpha1::Unikernel unikernel;
  return DecodeUnikernel(document, unikernel);
}

std::string Show(const FieldErrors& errors) {
  std::string out;
  for (const FieldError& e : errors) {
    StrAppend(&out, "\n  ", FormatFieldError(e));
  }
  return out;
}

TEST(ValidationTest, BaseIsValid) {
  FieldErrors errors = ErrorsAfterPatch("{}");
  EXPECT_TRUE(errors.empty()) << Show(errors);
}

struct InvalidCase {
  std::string patch;
  const char* path;
  const char* message;  // a part of the message
};

std::string Long(char c, size_t n) { return std::string(n, c); }

// The base's two named ports and more, `count` in all.
std::string ManyPorts(int count) {
  std::string ports = "{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}";
  for (int i = 2; i < count; ++i) {
    StrAppend(&ports, ", {port: ", 9000 + i, "}");
  }
  return StrCat("{spec: {template: {ports: [", ports, "]}}}");
}

const std::vector<InvalidCase>& Cases() {
  static const std::string name64 = "{metadata: {name: " + Long('a', 64) + "}}";
  static const std::string name50 = "{metadata: {name: " + Long('a', 50) + "}}";
  static const std::vector<InvalidCase> cases = {
      // metadata, apiVersion, kind
      {"{metadata: {name: Web}}", "metadata.name", "DNS-1123"},
      {"{metadata: {name: null}}", "metadata.name", "is required"},
      {name64, "metadata.name", "no more than 63"},
      {name50, "metadata.name", "no more than 48"},
      {"{metadata: {name: -web}}", "metadata.name", "start and end"},
      {"{metadata: {namespace: Prod}}", "metadata.namespace", "DNS-1123"},
      {"{metadata: {labels: {'bad key!': x}}}", "metadata.labels[bad key!]", "key name part"},
      {"{metadata: {labels: {app: 'has space'}}}", "metadata.labels[app]", "at most 63"},
      {"{metadata: {labels: {app: 3}}}", "metadata.labels[app]", "expected a string"},
      {"{metadata: {nmae: x}}", "metadata.nmae", "did you mean \"name\""},
      {"{apiVersion: v1}", "apiVersion", "is not nanoplane.dev/v1alpha1"},
      {"{apiVersion: null}", "apiVersion", "is required"},
      {"{kind: Deployment}", "kind", "is not Unikernel"},
      {"{specs: {}}", "specs", "did you mean \"spec\""},
      {"{spec: [1]}", "spec", "expected an object, got a list"},
      // spec scalars
      {"{spec: {replicas: -1}}", "spec.replicas", "-1 is out of range 0-100000"},
      {"{spec: {replicas: three}}", "spec.replicas", "expected an integer, got a string"},
      {"{spec: {replicas: 1.5}}", "spec.replicas", "expected an integer"},
      {"{spec: {replicas: 3.0e35}}", "spec.replicas", "expected an integer"},
      {"{spec: {replicas: 3000000000}}", "spec.replicas", "out of range for a 32-bit integer"},
      {"{spec: {replica: 3}}", "spec.replica", "did you mean \"replicas\""},
      {"{spec: {paused: 'yes'}}", "spec.paused", "expected true or false"},
      {"{spec: {minReadySeconds: -5}}", "spec.minReadySeconds", "must be at least 0"},
      {"{spec: {progressDeadlineSeconds: 0}}", "spec.progressDeadlineSeconds", "at least 1"},
      {"{spec: {revisionHistoryLimit: -1}}", "spec.revisionHistoryLimit", "at least 0"},
      // strategy
      {"{spec: {strategy: {type: BlueGreen}}}", "spec.strategy.type", "not one of RollingUpdate"},
      {"{spec: {strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}}}",
       "spec.strategy.rollingUpdate", "may not be set when type is Recreate"},
      {"{spec: {strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}}}",
       "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when maxSurge is 0"},
      {"{spec: {strategy: {rollingUpdate: {maxSurge: 0%, maxUnavailable: 0%}}}}",
       "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when maxSurge is 0"},
      {"{spec: {strategy: {rollingUpdate: {maxSurge: abc}}}}",
       "spec.strategy.rollingUpdate.maxSurge", "an integer or a percentage"},
      {"{spec: {strategy: {rollingUpdate: {maxUnavailable: 150%}}}}",
       "spec.strategy.rollingUpdate.maxUnavailable", "must not exceed 100%"},
      {"{spec: {strategy: {rollingUpdate: {maxSurge: -1}}}}",
       "spec.strategy.rollingUpdate.maxSurge", "at least 0"},
      {"{spec: {strategy: {rollingUpdate: {maxSurge: true}}}}",
       "spec.strategy.rollingUpdate.maxSurge", "expected an integer or a string"},
      // placement
      {"{spec: {placement: {hostSelector: {zone: 'a b'}}}}", "spec.placement.hostSelector[zone]",
       "at most 63"},
      {"{spec: {placement: {hostSelector: {'Bad/zone': a}}}}",
       "spec.placement.hostSelector[Bad/zone]", "prefix"},
      {"{spec: {placement: {spread: {maxSkew: 0}}}}", "spec.placement.spread.maxSkew",
       "at least 1"},
      {"{spec: {placement: {spread: {whenUnsatisfiable: Never}}}}",
       "spec.placement.spread.whenUnsatisfiable", "not one of ScheduleAnyway, DoNotSchedule"},
      {"{spec: {placement: {hostSelecter: {}}}}", "spec.placement.hostSelecter",
       "did you mean \"hostSelector\""},
      // template and image
      {"{spec: {template: null}}", "spec.template", "is required"},
      {"{spec: {template: {image: {program: null}}}}", "spec.template.image.program",
       "is required"},
      {"{spec: {template: {image: {program: web}}}}", "spec.template.image.program",
       "must be an absolute path"},
      {"{spec: {template: {image: {program: /a/../b}}}}", "spec.template.image.program",
       "must not contain '..'"},
      {"{spec: {template: {image: {args: 'a b'}}}}", "spec.template.image.args",
       "expected a list, got a string"},
      {"{spec: {template: {image: {args: [1]}}}}", "spec.template.image.args[0]",
       "expected a string, got an integer 1 (quote it)"},
      {"{spec: {template: {image: {env: [{name: 1X, value: ''}]}}}}",
       "spec.template.image.env[0].name", "letters, digits and '_'"},
      {"{spec: {template: {image: {env: [{value: x}]}}}}", "spec.template.image.env[0].name",
       "is required"},
      {"{spec: {template: {image: {env: [{name: A}, {name: A}]}}}}",
       "spec.template.image.env[1].name", "duplicate value \"A\" (also at [0])"},
      {"{spec: {template: {image: {source: {path: ./a, url: 'http://h/x'}}}}}",
       "spec.template.image.source", "mutually exclusive"},
      {"{spec: {template: {image: {source: {path: null}}}}}", "spec.template.image.source",
       "one of path, url or sha256 is required"},
      {"{spec: {template: {image: {source: {path: null, url: 'https://h/x'}}}}}",
       "spec.template.image.source.sha256", "is required with url"},
      {"{spec: {template: {image: {source: {path: null, url: 'ftp://h/x', sha256: " +
           Long('a', 64) + "}}}}}",
       "spec.template.image.source.url", "http:// or https://"},
      {"{spec: {template: {image: {source: {path: null, sha256: abc}}}}}",
       "spec.template.image.source.sha256", "64 hex digits"},
      {"{spec: {template: {image: {files: [{path: /a, content: x, source: {path: ./b}}]}}}}",
       "spec.template.image.files[0]", "mutually exclusive"},
      {"{spec: {template: {image: {files: [{content: x}]}}}}", "spec.template.image.files[0].path",
       "is required"},
      {"{spec: {template: {image: {files: [{path: /a, content: x}, {path: /a, content: y}]}}}}",
       "spec.template.image.files[1].path", "duplicate value \"/a\""},
      {"{spec: {template: {image: {dirs: [lib]}}}}", "spec.template.image.dirs[0]",
       "absolute path"},
      {"{spec: {template: {image: {mapDirs: [{source: ./x}]}}}}",
       "spec.template.image.mapDirs[0].path", "is required"},
      {"{spec: {template: {image: {packages: [{name: x}]}}}}",
       "spec.template.image.packages[0].source", "is required"},
      {"{spec: {template: {image: {nanos: {version: ../evil}}}}}",
       "spec.template.image.nanos.version", "not a release version"},
      {"{spec: {template: {image: {nanos: {klibs: [TLS]}}}}}", "spec.template.image.nanos.klibs[0]",
       "not a klib name"},
      {"{spec: {template: {image: {nanos: {debug: [verbose]}}}}}",
       "spec.template.image.nanos.debug[0]", "not one of debugsyscalls"},
      {"{spec: {template: {image: {manifest: {program: /x}}}}}",
       "spec.template.image.manifest[program]", "written by nanoplane"},
      {"{spec: {template: {image: {manifest: text}}}}", "spec.template.image.manifest",
       "expected an object"},
      {"{spec: {template: {image: {baseVolumeSize: '1.5'}}}}", "spec.template.image.baseVolumeSize",
       "not a whole number of bytes"},
      // resources
      {"{spec: {template: {resources: {memory: 12X}}}}", "spec.template.resources.memory",
       "\"12X\" is not a quantity"},
      {"{spec: {template: {resources: {memory: 1Mi}}}}", "spec.template.resources.memory",
       "1Mi must be at least 16Mi"},
      {"{spec: {template: {resources: {cpus: 0}}}}", "spec.template.resources.cpus",
       "0 is out of range 1-64"},
      {"{spec: {template: {resources: {cpus: 65}}}}", "spec.template.resources.cpus",
       "65 is out of range 1-64"},
      {"{spec: {template: {resources: {memroy: 1Gi}}}}", "spec.template.resources.memroy",
       "did you mean \"memory\""},
      // ports
      {"{spec: {template: {ports: [{name: http, port: 8080}, {port: 70000}]}}}",
       "spec.template.ports[1].port", "70000 is out of range 1-65535"},
      {"{spec: {template: {ports: [{name: http, port: 8080}, {port: 80, protocol: SCTP}]}}}",
       "spec.template.ports[1].protocol", "not one of TCP, UDP"},
      {"{spec: {template: {ports: [{name: http, port: 8080}, {port: 80, name: HTTP}]}}}",
       "spec.template.ports[1].name", "lower case"},
      {"{spec: {template: {ports: [{name: http, port: 8080}, {port: 8080}]}}}",
       "spec.template.ports[1].port", "duplicate value \"8080\" (also at [0])"},
      {"{spec: {template: {ports: [{name: http, port: 8080}, {name: http, port: 9}]}}}",
       "spec.template.ports[1].name", "duplicate value \"http\""},
      // probes
      {"{spec: {template: {readinessProbe: {httpGet: {port: 9090}}}}}",
       "spec.template.readinessProbe.httpGet.port", "9090 is not a declared port"},
      {"{spec: {template: {readinessProbe: {httpGet: {port: admin}}}}}",
       "spec.template.readinessProbe.httpGet.port", "\"admin\" is not a declared port"},
      {"{spec: {template: {readinessProbe: {tcpSocket: {port: 8080}}}}}",
       "spec.template.readinessProbe", "exactly one of tcpSocket or httpGet"},
      {"{spec: {template: {readinessProbe: {httpGet: null}}}}", "spec.template.readinessProbe",
       "exactly one of tcpSocket or httpGet"},
      {"{spec: {template: {readinessProbe: {timeoutSeconds: 20, periodSeconds: 10}}}}",
       "spec.template.readinessProbe.timeoutSeconds", "must not exceed periodSeconds"},
      {"{spec: {template: {livenessProbe: {successThreshold: 2}}}}",
       "spec.template.livenessProbe.successThreshold", "must be 1 for a liveness probe"},
      {"{spec: {template: {readinessProbe: {periodSeconds: 0}}}}",
       "spec.template.readinessProbe.periodSeconds", "0 is out of range 1-3600"},
      {"{spec: {template: {readinessProbe: {failureThreshold: 0}}}}",
       "spec.template.readinessProbe.failureThreshold", "out of range 1-100"},
      {"{spec: {template: {readinessProbe: {httpGet: {scheme: FTP}}}}}",
       "spec.template.readinessProbe.httpGet.scheme", "not one of HTTP, HTTPS"},
      {"{spec: {template: {livenessProbe: {tcpSocket: {port: dns}}}}}",
       "spec.template.livenessProbe.tcpSocket.port", "is a UDP port"},
      {"{spec: {template: {livenessProbe: {tcpSocket: {port: 0}}}}}",
       "spec.template.livenessProbe.tcpSocket.port", "0 is out of range 1-65535"},
      {"{spec: {template: {livenessProbe: {tcpSocket: {port: Http}}}}}",
       "spec.template.livenessProbe.tcpSocket.port", "lower case"},
      {ManyPorts(65), "spec.template.ports", "65 items; at most 64 are allowed"},
      // restart policy
      {"{spec: {template: {restartPolicy: Sometimes}}}", "spec.template.restartPolicy",
       "\"Sometimes\" is not one of Always, OnFailure, Never"},
      {"{spec: {template: {restartPolicy: always}}}", "spec.template.restartPolicy",
       "did you mean \"Always\""},
  };
  return cases;
}

class InvalidManifestTest : public testing::TestWithParam<size_t> {};

TEST_P(InvalidManifestTest, ReportsExactlyItsError) {
  const InvalidCase& c = Cases()[GetParam()];
  FieldErrors errors = ErrorsAfterPatch(c.patch);
  ASSERT_EQ(errors.size(), 1u) << "patch " << c.patch << Show(errors);
  EXPECT_EQ(errors[0].path, c.path) << "patch " << c.patch << Show(errors);
  EXPECT_NE(errors[0].message.find(c.message), std::string::npos)
      << "patch " << c.patch << Show(errors);
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidManifestTest, testing::Range<size_t>(0, Cases().size()));

TEST(ValidationTest, TableHasAtLeastSixtyCases) { EXPECT_GE(Cases().size(), 60u); }

TEST(ValidationTest, ReportsEveryProblemAtOnce) {
  FieldErrors errors = ErrorsAfterPatch(
      "{metadata: {name: Web}, spec: {replicas: -1, template: {resources: {cpus: 0}}}}");
  ASSERT_EQ(errors.size(), 3u) << Show(errors);
}

}  // namespace
}  // namespace nanoplane
