// The rules of a Unikernel that relate fields to each other; the per-field rules
// come from the schema (validation.cc).

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "common/api.h"
#include "common/formats.h"
#include "common/strings.h"
#include "common/validation.h"

namespace nanoplane {
namespace {

using v1alpha1::IntOrString;

void Add(FieldErrors& errors, std::string path, std::string message) {
  errors.push_back({std::move(path), std::move(message)});
}

void CheckLabels(const google::protobuf::Map<std::string, std::string>& labels,
                 const std::string& path, bool check_values, FieldErrors& errors) {
  for (const auto& [key, value] : labels) {
    if (auto why = CheckLabelKey(key)) {
      Add(errors, KeyPath(path, key), StrCat("key ", *why));
    } else if (check_values) {
      if (auto value_why = CheckLabelValue(value)) {
        Add(errors, KeyPath(path, key), StrCat("\"", value.substr(0, 80), "\" ", *value_why));
      }
    }
  }
}

void CheckMetadata(const v1alpha1::Unikernel& u, FieldErrors& errors) {
  if (u.api_version() != kApiVersion && !u.api_version().empty()) {
    Add(errors, "apiVersion",
        StrCat("\"", u.api_version().substr(0, 80), "\" is not ", kApiVersion));
  }
  if (u.kind() != kKind && !u.kind().empty()) {
    Add(errors, "kind", StrCat("\"", u.kind().substr(0, 80), "\" is not ", kKind));
  }
  const auto& meta = u.metadata();
  if (meta.name().size() > kMaxUnikernelNameLength && meta.name().size() <= 63) {
    Add(errors, "metadata.name",
        StrCat("must be no more than ", kMaxUnikernelNameLength,
               " characters (instance names add a suffix)"));
  }
  CheckLabels(meta.labels(), "metadata.labels", true, errors);
  CheckLabels(meta.annotations(), "metadata.annotations", false, errors);
}

void CheckSource(const v1alpha1::Source& source, const std::string& path, FieldErrors& errors) {
  int given = !source.path().empty() + !source.url().empty();
  if (given > 1) {
    Add(errors, path, "path and url are mutually exclusive");
  } else if (given == 0 && source.sha256().empty()) {
    Add(errors, path, "one of path, url or sha256 is required");
  } else if (!source.url().empty() && source.sha256().empty()) {
    Add(errors, ChildPath(path, "sha256"), "is required with url");
  }
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') {
      return false;
    }
  }
  return true;
}

void CheckImage(const v1alpha1::ImageSpec& image, const std::string& path, FieldErrors& errors) {
  if (image.has_source()) {
    CheckSource(image.source(), ChildPath(path, "source"), errors);
  }
  for (int i = 0; i < image.env_size(); ++i) {
    const std::string& name = image.env(i).name();
    if (!name.empty() && !IsEnvName(name)) {
      Add(errors, ChildPath(IndexPath(ChildPath(path, "env"), i), "name"),
          StrCat("\"", name.substr(0, 80),
                 "\" must be letters, digits and '_', not starting with a digit"));
    }
  }
  for (int i = 0; i < image.files_size(); ++i) {
    const auto& file = image.files(i);
    std::string file_path = IndexPath(ChildPath(path, "files"), i);
    if (file.has_source() && !file.content().empty()) {
      Add(errors, file_path, "source and content are mutually exclusive");
    } else if (file.has_source()) {
      CheckSource(file.source(), ChildPath(file_path, "source"), errors);
    }
  }
  for (int i = 0; i < image.packages_size(); ++i) {
    if (image.packages(i).has_source()) {
      CheckSource(image.packages(i).source(),
                  ChildPath(IndexPath(ChildPath(path, "packages"), i), "source"), errors);
    }
  }
  const auto& nanos = image.nanos();
  std::string nanos_path = ChildPath(path, "nanos");
  const std::string& version = nanos.version();
  bool version_ok = !version.empty() && version.size() <= 64 && version != "." && version != "..";
  for (char c : version) {
    version_ok &= absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
  }
  if (!version_ok) {
    Add(errors, ChildPath(nanos_path, "version"),
        StrCat("\"", version.substr(0, 80), "\" is not a release version such as 0.1.54"));
  }
  for (int i = 0; i < nanos.klibs_size(); ++i) {
    const std::string& klib = nanos.klibs(i);
    bool ok = !klib.empty() && klib.size() <= 64;
    for (char c : klib) {
      ok &= absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
    }
    if (!ok) {
      Add(errors, IndexPath(ChildPath(nanos_path, "klibs"), i),
          StrCat("\"", klib.substr(0, 80), "\" is not a klib name such as tls or ntp"));
    }
  }
  for (int i = 0; i < nanos.debug_size(); ++i) {
    if (!kNanosDebugFlags.contains(nanos.debug(i))) {
      Add(errors, IndexPath(ChildPath(nanos_path, "debug"), i),
          StrCat("\"", nanos.debug(i).substr(0, 80), "\" is not one of ",
                 StrJoin(kNanosDebugFlags, ", ")));
    }
  }
  for (const auto& [key, value] : image.manifest().fields()) {
    if (kGeneratedManifestKeys.contains(key)) {
      Add(errors, KeyPath(ChildPath(path, "manifest"), key),
          "is written by nanoplane from the spec; set it there instead");
    }
  }
}

// The declared port a probe's port refers to, or null.
const v1alpha1::Port* FindPort(const v1alpha1::UnikernelTemplate& t, const IntOrString& ref) {
  for (const auto& port : t.ports()) {
    if (ref.has_string_value() ? port.name() == ref.string_value()
                               : port.port() == ref.int_value()) {
      return &port;
    }
  }
  return nullptr;
}

std::string Declared(const v1alpha1::UnikernelTemplate& t) {
  std::vector<std::string> ports;
  for (const auto& port : t.ports()) {
    ports.push_back(port.name().empty() ? StrCat(port.port())
                                        : StrCat(port.port(), " (", port.name(), ")"));
  }
  return ports.empty() ? "no ports are declared" : StrCat("declared: ", StrJoin(ports, ", "));
}

void CheckProbe(const v1alpha1::UnikernelTemplate& t, const v1alpha1::Probe& probe,
                const std::string& path, bool liveness, FieldErrors& errors) {
  int handlers = probe.has_tcp_socket() + probe.has_http_get();
  if (handlers != 1) {
    Add(errors, path, "exactly one of tcpSocket or httpGet is required");
    return;
  }
  const IntOrString& port =
      probe.has_tcp_socket() ? probe.tcp_socket().port() : probe.http_get().port();
  std::string port_path =
      ChildPath(ChildPath(path, probe.has_tcp_socket() ? "tcpSocket" : "httpGet"), "port");
  if (port.has_string_value() || port.has_int_value()) {
    const v1alpha1::Port* declared = FindPort(t, port);
    std::string shown = port.has_string_value() ? StrCat("\"", port.string_value(), "\"")
                                                : StrCat(port.int_value());
    if (declared == nullptr) {
      Add(errors, port_path, StrCat(shown, " is not a declared port (", Declared(t), ")"));
    } else if (declared->protocol() == v1alpha1::UDP) {
      Add(errors, port_path, StrCat(shown, " is a UDP port; probes need TCP"));
    }
  }
  if (probe.period_seconds() >= 1 && probe.timeout_seconds() > probe.period_seconds()) {
    Add(errors, ChildPath(path, "timeoutSeconds"),
        StrCat(probe.timeout_seconds(), " must not exceed periodSeconds (", probe.period_seconds(),
               ")"));
  }
  if (liveness && probe.success_threshold() != 1) {
    Add(errors, ChildPath(path, "successThreshold"), "must be 1 for a liveness probe");
  }
}

void CheckTemplate(const v1alpha1::UnikernelTemplate& t, const std::string& path,
                   FieldErrors& errors) {
  if (t.has_image()) {
    CheckImage(t.image(), ChildPath(path, "image"), errors);
  }
  std::map<std::string, int> names;
  for (int i = 0; i < t.ports_size(); ++i) {
    const std::string& name = t.ports(i).name();
    if (name.empty()) {
      continue;
    }
    auto [it, inserted] = names.emplace(name, i);
    if (!inserted) {
      Add(errors, ChildPath(IndexPath(ChildPath(path, "ports"), i), "name"),
          StrCat("duplicate value \"", name, "\" (also at [", it->second, "])"));
    }
  }
  if (t.has_readiness_probe()) {
    CheckProbe(t, t.readiness_probe(), ChildPath(path, "readinessProbe"), false, errors);
  }
  if (t.has_liveness_probe()) {
    CheckProbe(t, t.liveness_probe(), ChildPath(path, "livenessProbe"), true, errors);
  }
}

bool IsZero(const IntOrString& value) {
  return value.has_string_value() ? value.string_value() == "0%" : value.int_value() == 0;
}

void CheckStrategy(const v1alpha1::Strategy& strategy, FieldErrors& errors) {
  const std::string path = "spec.strategy";
  if (strategy.type() == v1alpha1::RECREATE && strategy.has_rolling_update()) {
    Add(errors, ChildPath(path, "rollingUpdate"), "may not be set when type is Recreate");
    return;
  }
  if (!strategy.has_rolling_update()) {
    return;
  }
  const auto& rolling = strategy.rolling_update();
  const IntOrString& unavailable = rolling.max_unavailable();
  if (const std::string& s = unavailable.string_value(); s.size() > 1 && s.back() == '%') {
    auto percent = ParseInt64(std::string_view(s).substr(0, s.size() - 1));
    if (percent.has_value() && *percent > 100) {
      Add(errors, "spec.strategy.rollingUpdate.maxUnavailable",
          StrCat("\"", s, "\" must not exceed 100%"));
    }
  }
  if (IsZero(rolling.max_surge()) && IsZero(unavailable)) {
    Add(errors, "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when maxSurge is 0");
  }
}

}  // namespace

FieldErrors ValidateUnikernel(const v1alpha1::Unikernel& unikernel) {
  FieldErrors schema_errors;
  ValidateSchema(unikernel, "", schema_errors);
  FieldErrors errors;
  CheckMetadata(unikernel, errors);
  const auto& spec = unikernel.spec();
  if (spec.has_template_()) {
    CheckTemplate(spec.template_(), "spec.template", errors);
  }
  CheckStrategy(spec.strategy(), errors);
  CheckLabels(spec.placement().host_selector(), "spec.placement.hostSelector", true, errors);
  // A field the schema already rejected is not reported a second time.
  for (FieldError& error : errors) {
    bool reported = std::any_of(schema_errors.begin(), schema_errors.end(),
                                [&](const FieldError& e) { return e.path == error.path; });
    if (!reported) {
      schema_errors.push_back(std::move(error));
    }
  }
  return schema_errors;
}

}  // namespace nanoplane
