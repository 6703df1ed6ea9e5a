#include "controller/manifests/sync_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/strings.h"

namespace nanoplane::controller::manifests {
namespace {

namespace pb = ::nanoplane::v1alpha1;

// Every place a Unikernel is defined, invalid files included: a name in a file
// that cannot be trusted this round still makes another definition ambiguous.
using Definitions = std::map<ports::ObjectKey, std::vector<const ManifestDocument*>>;

Definitions CollectDefinitions(const DirectoryContents& directory) {
  Definitions out;
  for (const ManifestFile& file : directory.files) {
    for (const ManifestDocument& doc : file.contents.documents) {
      out[KeyOfUnikernel(doc.unikernel)].push_back(&doc);
    }
  }
  return out;
}

SyncError DuplicateError(const ports::ObjectKey& key,
                         const std::vector<const ManifestDocument*>& docs) {
  std::vector<std::string> places;
  for (const ManifestDocument* doc : docs) {
    places.push_back(StrCat(doc->source, "[", doc->document, "]"));
  }
  std::string message = StrCat("Unikernel ", ports::ToString(key), " is defined in ",
                               StrJoin(places, " and "), "; it is applied from none of them");
  return {{docs[0]->source, docs[0]->document, {"metadata.name", std::move(message)}}, key};
}

SyncError UnmanagedError(const ports::ObjectKey& key, const ManifestDocument& doc) {
  std::string message = StrCat("Unikernel ", ports::ToString(key),
                               " exists and was not created from the manifests directory; it "
                               "is left alone (delete it to let the directory manage it)");
  return {{doc.source, doc.document, {"metadata.name", std::move(message)}}, key};
}

// What `nanoplane apply` would send (ForApply: a scale or pause the file does
// not speak of is kept), marked as the file's.
pb::Unikernel Annotated(const ManifestDocument& doc, const std::string& file) {
  pb::Unikernel out = ForApply(doc);
  (*out.mutable_metadata()->mutable_annotations())[std::string(kManifestFileAnnotation)] = file;
  return out;
}

// The objects of the valid files, unless defined twice, made by someone else,
// or still being deleted (a later round creates them once they are gone).
void PlanApplies(const DirectoryContents& directory, const Definitions& definitions,
                 const std::map<ports::ObjectKey, const StoredObject*>& stored, SyncPlan& plan) {
  for (const ManifestFile& file : directory.files) {
    if (!file.contents.ok()) {
      continue;
    }
    for (const ManifestDocument& doc : file.contents.documents) {
      ports::ObjectKey key = KeyOfUnikernel(doc.unikernel);
      if (definitions.at(key).size() > 1) {
        continue;
      }
      auto existing = stored.find(key);
      if (existing != stored.end() && existing->second->manifest_file.empty()) {
        plan.errors.push_back(UnmanagedError(key, doc));
        continue;
      }
      if (existing != stored.end() && existing->second->deleting) {
        plan.waiting.push_back(key);
        continue;
      }
      plan.apply.push_back(Annotated(doc, file.path));
    }
  }
}

void PlanDeletions(const DirectoryContents& directory, const Definitions& definitions,
                   const std::vector<StoredObject>& stored, SyncPlan& plan) {
  if (!directory.errors.empty()) {
    return;  // a partial listing would look like removed files
  }
  std::set<std::string> unknown;
  for (const ManifestFile& file : directory.files) {
    if (!file.contents.ok()) {
      unknown.insert(file.path);
    }
  }
  for (const StoredObject& object : stored) {
    if (object.manifest_file.empty() || object.deleting || definitions.contains(object.key) ||
        unknown.contains(object.manifest_file)) {
      continue;
    }
    plan.remove.push_back({object.key, object.resource_version, object.manifest_file});
  }
  std::sort(plan.remove.begin(), plan.remove.end(),
            [](const Deletion& a, const Deletion& b) { return a.key < b.key; });
}

}  // namespace

ports::ObjectKey KeyOfUnikernel(const pb::Unikernel& object) {
  ports::ObjectKey key{.name = object.metadata().name()};
  if (!object.metadata().namespace_().empty()) {
    key.ns = object.metadata().namespace_();
  }
  return key;
}

StoredObject StoredObjectOf(const pb::Unikernel& object) {
  const auto& annotations = object.metadata().annotations();
  auto file = annotations.find(std::string(kManifestFileAnnotation));
  return {.key = KeyOfUnikernel(object),
          .manifest_file = file == annotations.end() ? "" : file->second,
          .resource_version = object.metadata().resource_version(),
          .deleting = !object.metadata().deletion_timestamp().empty()};
}

SyncPlan PlanSync(const DirectoryContents& directory, const std::vector<StoredObject>& stored) {
  SyncPlan plan;
  for (const ManifestError& error : directory.errors) {
    plan.errors.push_back({error, std::nullopt});
  }
  for (const ManifestFile& file : directory.files) {
    for (const ManifestError& error : file.contents.errors) {
      plan.errors.push_back({error, std::nullopt});
    }
  }
  Definitions definitions = CollectDefinitions(directory);
  for (const auto& [key, docs] : definitions) {
    if (docs.size() > 1) {
      plan.errors.push_back(DuplicateError(key, docs));
    }
  }
  std::map<ports::ObjectKey, const StoredObject*> by_key;
  for (const StoredObject& object : stored) {
    by_key[object.key] = &object;
  }
  PlanApplies(directory, definitions, by_key, plan);
  PlanDeletions(directory, definitions, stored, plan);
  return plan;
}

}  // namespace nanoplane::controller::manifests
