#include "common/manifest_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/codec.h"
#include "common/defaults.h"
#include "common/strings.h"
#include "common/validation.h"
#include "common/yaml_json.h"

namespace nanoplane {
namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kMaxManifestBytes = 16 << 20;

bool IsManifestFile(const fs::path& path) {
  std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

bool IsHidden(const fs::path& path) {
  std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

void AddFileError(ManifestSet& set, const std::string& source, std::string message) {
  set.errors.push_back({source, std::nullopt, {"", std::move(message)}});
}

void ReadFile(const std::string& path, std::string_view source, ManifestSet& set) {
  std::string name(source);
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    AddFileError(set, name, ec.message());
    return;
  }
  if (size > kMaxManifestBytes) {
    AddFileError(set, name, StrCat("larger than ", kMaxManifestBytes >> 20, " MiB"));
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    AddFileError(set, name, "cannot be read");
    return;
  }
  ManifestSet file = ParseManifests(text.str(), source);
  std::move(file.documents.begin(), file.documents.end(), std::back_inserter(set.documents));
  std::move(file.errors.begin(), file.errors.end(), std::back_inserter(set.errors));
}

void CollectFiles(const std::string& path, std::vector<std::string>& files, ManifestSet& set) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec)) {
      AddFileError(set, path, "no such file or directory");
    } else {
      files.push_back(path);
    }
    return;
  }
  std::vector<std::string> found = FindManifestFiles(path, set.errors);
  files.insert(files.end(), found.begin(), found.end());
}

// A Unikernel named twice would make applying the set ambiguous.
void CheckDuplicateNames(ManifestSet& set) {
  std::map<std::string, const ManifestDocument*> seen;
  for (const ManifestDocument& doc : set.documents) {
    const auto& meta = doc.unikernel.metadata();
    std::string key = StrCat(meta.namespace_(), "/", meta.name());
    auto [it, inserted] = seen.emplace(key, &doc);
    if (!inserted) {
      set.errors.push_back(
          {doc.source,
           doc.document,
           {"metadata.name", StrCat("Unikernel ", key, " is also defined in ", it->second->source,
                                    "[", it->second->document, "]")}});
    }
  }
}

}  // namespace

std::string ManifestError::ToString() const {
  std::string where = document.has_value() ? StrCat(source, "[", *document, "]") : source;
  if (error.path.empty()) {
    return StrCat(where, ": ", error.message);
  }
  return StrCat(where, " ", error.path, ": ", error.message);
}

v1alpha1::Unikernel ForApply(const ManifestDocument& doc) {
  v1alpha1::Unikernel out = doc.unikernel;
  if (!doc.written.spec().has_replicas()) {
    out.mutable_spec()->clear_replicas();
  }
  if (!doc.written.spec().has_paused()) {
    out.mutable_spec()->clear_paused();
  }
  return out;
}

FieldErrors DecodeUnikernel(const Json& json, v1alpha1::Unikernel& unikernel,
                            v1alpha1::Unikernel* written) {
  FieldErrors errors;
  if (!json.is_object()) {
    errors.push_back({"", StrCat("expected an object, got ", json.type_name())});
    return errors;
  }
  DecodeMessage(json, unikernel, "", errors);
  if (written != nullptr) {
    *written = unikernel;
  }
  DefaultUnikernel(unikernel);
  FieldErrors decode_errors = errors;
  for (FieldError& error : ValidateUnikernel(unikernel)) {
    bool already_reported =
        std::any_of(decode_errors.begin(), decode_errors.end(), [&](const FieldError& e) {
          return PathIsWithin(error.path, e.path) || PathIsWithin(e.path, error.path);
        });
    if (!already_reported) {
      errors.push_back(std::move(error));
    }
  }
  return errors;
}

ManifestSet ParseManifests(std::string_view text, std::string_view source) {
  ManifestSet set;
  std::string name(source);
  auto documents = ParseYamlDocuments(text);
  if (!documents.ok()) {
    AddFileError(set, name, std::string(documents.status().message()));
    return set;
  }
  for (size_t i = 0; i < documents->size(); ++i) {
    const absl::StatusOr<Json>& json = (*documents)[i];
    if (!json.ok()) {
      set.errors.push_back({name, i, {"", std::string(json.status().message())}});
      continue;
    }
    if (json->is_null()) {
      continue;
    }
    ManifestDocument doc{name, i, {}, {}};
    FieldErrors errors = DecodeUnikernel(*json, doc.unikernel, &doc.written);
    for (FieldError& error : errors) {
      set.errors.push_back({name, i, std::move(error)});
    }
    if (errors.empty()) {
      set.documents.push_back(std::move(doc));
    }
  }
  return set;
}

std::vector<std::string> FindManifestFiles(const std::string& dir,
                                           std::vector<ManifestError>& errors) {
  std::error_code ec;
  std::vector<std::string> found;
  // No skip_permission_denied: a directory skipped in silence would look
  // empty, and a manifests directory deletes what its removed files made.
  auto it = fs::recursive_directory_iterator(dir, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (IsHidden(it->path())) {
      if (it->is_directory()) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (it->is_regular_file() && IsManifestFile(it->path())) {
      found.push_back(it->path().string());
    }
  }
  if (ec) {
    errors.push_back({dir, std::nullopt, {"", ec.message()}});
  }
  std::sort(found.begin(), found.end());
  return found;
}

ManifestSet ReadManifestFile(const std::string& path, std::string_view source) {
  ManifestSet set;
  ReadFile(path, source, set);
  return set;
}

ManifestSet ReadManifests(const std::vector<std::string>& paths) {
  ManifestSet set;
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    CollectFiles(path, files, set);
  }
  for (const std::string& file : files) {
    ReadFile(file, file, set);
  }
  CheckDuplicateNames(set);
  return set;
}

}  // namespace nanoplane
