#pragma once

// What a manifests directory (GitOps, `--manifests DIR`) changes in the store,
// decided as a pure function of what was read and what is stored.
//
// Objects created from the directory carry the annotation
// nanoplane.dev/manifest-file: <path relative to the directory>; only those are
// ever deleted. The rules:
// - a valid file's Unikernels are applied (apply itself skips an unchanged one);
// - a file with any error is unknown this round: its Unikernels are neither
//   applied nor deleted, and its errors are reported;
// - a Unikernel named in two places is applied from neither, and is not deleted;
// - a stored Unikernel that the directory made is deleted once no file defines
//   it, unless the file that made it is unknown or the directory could not be
//   listed in full;
// - a Unikernel that the directory did not make (applied with the CLI) is never
//   touched: defining it in a file is an error.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/api.h"
#include "common/manifest_reader.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::manifests {

inline constexpr std::string_view kManifestFileAnnotation = "nanoplane.dev/manifest-file";

// One file as read: its path relative to the directory and what the reader
// made of it (ParseManifests: valid documents, and errors).
struct ManifestFile {
  std::string path;
  ManifestSet contents;
};

struct DirectoryContents {
  std::vector<ManifestFile> files;
  // The directory itself could not be listed (in full): nothing is deleted.
  std::vector<ManifestError> errors;
  // The files that `source: {path: ...}` named, by sha256: the documents name
  // them by digest, and the syncer uploads them.
  std::map<std::string, std::string> local_files;
};

// A stored Unikernel, as far as the plan cares.
struct StoredObject {
  ports::ObjectKey key;
  std::string manifest_file;  // the annotation; empty when the directory did not make it
  std::string resource_version;
  bool deleting = false;
  bool operator==(const StoredObject&) const = default;
};

StoredObject StoredObjectOf(const v1alpha1::Unikernel& object);

// namespace/name; an empty namespace is "default".
ports::ObjectKey KeyOfUnikernel(const v1alpha1::Unikernel& object);

struct Deletion {
  ports::ObjectKey key;
  std::string resource_version;  // the delete's precondition
  std::string manifest_file;     // the file that made it, for the log
  bool operator==(const Deletion&) const = default;
};

// A problem to report, with the object it is about when that is known.
struct SyncError {
  ManifestError error;
  std::optional<ports::ObjectKey> object;
  bool operator==(const SyncError&) const = default;
};

struct SyncPlan {
  // In file and document order, each annotated with its file.
  std::vector<v1alpha1::Unikernel> apply;
  std::vector<Deletion> remove;  // in key order
  // Defined, but still being deleted: applied by a round after it is gone.
  std::vector<ports::ObjectKey> waiting;
  std::vector<SyncError> errors;
};

SyncPlan PlanSync(const DirectoryContents& directory, const std::vector<StoredObject>& stored);

}  // namespace nanoplane::controller::manifests
