#include "common/kube/kubeconfig_file.h"

#include <utility>

#include "common/strings.h"
#include "common/yaml_json.h"

namespace nanoplane::kube {
namespace {

absl::Status FieldError(const std::string& file, std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(file, ": ", field, ": ", what));
}

// clusters / users / contexts: a list of {name, <inner>}, into a map by name.
absl::Status ParseNamedList(const Json& doc, std::string_view list, std::string_view inner,
                            const std::string& file, const std::string& dir,
                            std::map<std::string, KubeConfigEntry>& out) {
  auto it = doc.find(list);
  if (it == doc.end() || it->is_null()) {
    return absl::OkStatus();
  }
  if (!it->is_array()) {
    return FieldError(file, list, "not a list");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& item = (*it)[i];
    const std::string at = StrCat(list, "[", i, "]");
    if (!item.is_object()) {
      return FieldError(file, at, "not a map");
    }
    auto name = item.find("name");
    if (name == item.end() || !name->is_string() || name->get<std::string>().empty()) {
      return FieldError(file, StrCat(at, ".name"), "missing (every entry needs a name)");
    }
    KubeConfigEntry entry{.value = Json::object(), .file = file, .dir = dir,
                          .field = StrCat(at, ".", inner)};
    auto value = item.find(inner);
    if (value != item.end() && !value->is_null()) {
      if (!value->is_object()) {
        return FieldError(file, entry.field, "not a map");
      }
      entry.value = *value;
    }
    const std::string key = name->get<std::string>();
    if (!out.emplace(key, std::move(entry)).second) {
      return FieldError(file, StrCat(at, ".name"), StrCat("duplicate name \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KubeConfigFile> ParseKubeConfigFile(std::string_view text, const std::string& file,
                                                  const std::string& dir) {
  auto docs = ParseYamlDocuments(text);
  if (!docs.ok()) {
    return absl::InvalidArgumentError(StrCat(file, ": ", docs.status().message()));
  }
  KubeConfigFile out{.file = file};
  if (docs->empty() || !(*docs)[0].ok() || (*docs)[0]->is_null()) {
    // An empty file is a valid, empty kubeconfig (kubectl treats it so).
    if (!docs->empty() && !(*docs)[0].ok()) {
      return absl::InvalidArgumentError(StrCat(file, ": ", (*docs)[0].status().message()));
    }
    return out;
  }
  const Json& doc = *(*docs)[0];
  if (!doc.is_object()) {
    return FieldError(file, "(top level)", "not a map (is this a kubeconfig?)");
  }
  if (auto current = doc.find("current-context"); current != doc.end() && !current->is_null()) {
    if (!current->is_string()) {
      return FieldError(file, "current-context", "not a string");
    }
    out.current_context = current->get<std::string>();
  }
  absl::Status status = ParseNamedList(doc, "clusters", "cluster", file, dir, out.clusters);
  if (status.ok()) {
    status = ParseNamedList(doc, "users", "user", file, dir, out.users);
  }
  if (status.ok()) {
    status = ParseNamedList(doc, "contexts", "context", file, dir, out.contexts);
  }
  if (!status.ok()) {
    return status;
  }
  return out;
}

void MergeKubeConfigFile(KubeConfigFile& merged, KubeConfigFile next) {
  if (merged.current_context.empty()) {
    merged.current_context = std::move(next.current_context);
  }
  // std::map::insert keeps the entry already there: the first file wins.
  merged.clusters.insert(next.clusters.begin(), next.clusters.end());
  merged.users.insert(next.users.begin(), next.users.end());
  merged.contexts.insert(next.contexts.begin(), next.contexts.end());
  if (merged.file.empty()) {
    merged.file = std::move(next.file);
  } else if (!next.file.empty()) {
    merged.file = StrCat(merged.file, ":", next.file);
  }
}

}  // namespace nanoplane::kube
