#pragma once

// Reading Unikernel manifests: YAML or JSON files, multi-document, or
// directories of them. Each document is decoded, defaulted and validated; every
// problem is reported at once, each naming file, document and field path:
//   web.yaml[1] spec.template.ports[0].port: 70000 is out of range 1-65535

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/field_errors.h"
#include "common/json.h"
#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane {

struct ManifestError {
  std::string source;              // file name as given, e.g. examples/web.yaml
  std::optional<size_t> document;  // index in the file; none for file-level errors
  FieldError error;

  std::string ToString() const;
  friend bool operator==(const ManifestError&, const ManifestError&) = default;
};

struct ManifestDocument {
  std::string source;
  size_t document = 0;
  v1alpha1::Unikernel unikernel;  // defaulted and valid
  v1alpha1::Unikernel written;    // as the document says it, before defaults
};

// What to send to apply: `unikernel` less the fields the document leaves to
// other verbs (spec.replicas to `scale`, spec.paused to `rollout pause`), so
// that, as with kubectl apply, re-applying the document keeps what they set.
v1alpha1::Unikernel ForApply(const ManifestDocument& doc);

struct ManifestSet {
  std::vector<ManifestDocument> documents;
  std::vector<ManifestError> errors;

  bool ok() const { return errors.empty(); }
};

// Parses one file's text. Empty documents are skipped; their index still counts.
ManifestSet ParseManifests(std::string_view text, std::string_view source);

// Reads files and directories (recursively: *.yaml, *.yml, *.json, in name
// order, hidden entries skipped). A Unikernel named twice is an error.
ManifestSet ReadManifests(const std::vector<std::string>& paths);

// The manifest files under `dir`, recursively (*.yaml, *.yml, *.json, hidden
// entries skipped), in name order. A directory that cannot be listed (fully)
// adds a file-level error naming `dir` to `errors`.
std::vector<std::string> FindManifestFiles(const std::string& dir,
                                           std::vector<ManifestError>& errors);

// Reads and parses one file; its errors name it `source` (a path relative to a
// manifests directory, say).
ManifestSet ReadManifestFile(const std::string& path, std::string_view source);

// Decodes, defaults and validates one document. Errors carry field paths; a
// field that failed to decode is not reported again by validation. `written`,
// when given, receives the object before defaults.
FieldErrors DecodeUnikernel(const Json& json, v1alpha1::Unikernel& unikernel,
                            v1alpha1::Unikernel* written = nullptr);

}  // namespace nanoplane
