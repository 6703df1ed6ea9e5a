#include "agent/image/tfs/tfs_tree.h"

#include <utility>
#include <vector>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

// The kernel's NAME_MAX.
constexpr size_t kMaxNameBytes = 255;

absl::StatusOr<std::vector<std::string_view>> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::string_view part : StrSplit(path, '/')) {
    if (part.empty()) {
      continue;
    }
    if (part == "." || part == "..") {
      return absl::InvalidArgumentError(
          StrCat("tfs path \"", path, "\": '", part, "' components are not allowed"));
    }
    if (part.size() > kMaxNameBytes || part.find('\0') != std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat("tfs path \"", path, "\": bad component (too long or contains NUL)"));
    }
    parts.push_back(part);
  }
  return parts;
}

}  // namespace

FileSource FileSource::HostPath(std::string path) {
  FileSource s;
  s.kind_ = Kind::kHostPath;
  s.data_ = std::move(path);
  return s;
}

FileSource FileSource::Bytes(std::string bytes) {
  FileSource s;
  s.kind_ = Kind::kBytes;
  s.data_ = std::move(bytes);
  return s;
}

FileSource FileSource::Stream(uint64_t size, ReadFn read) {
  FileSource s;
  s.kind_ = Kind::kStream;
  s.size_ = size;
  s.read_ = std::move(read);
  return s;
}

TfsTree::TfsTree() : root_(std::make_unique<Node>()) {}
TfsTree::~TfsTree() = default;
TfsTree::TfsTree(TfsTree&&) noexcept = default;
TfsTree& TfsTree::operator=(TfsTree&&) noexcept = default;

absl::Status TfsTree::AddDirectory(std::string_view path) {
  NP_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, SplitPath(path));
  Node* dir = root_.get();
  for (std::string_view part : parts) {
    auto it = dir->children.find(part);
    if (it == dir->children.end()) {
      it = dir->children.emplace(std::string(part), std::make_unique<Node>()).first;
    } else if (it->second->kind != Node::Kind::kDirectory) {
      return absl::AlreadyExistsError(
          StrCat("tfs path \"", path, "\": \"", part, "\" exists and is not a directory"));
    }
    dir = it->second.get();
  }
  return absl::OkStatus();
}

absl::StatusOr<TfsTree::Node*> TfsTree::Parent(std::string_view path, std::string* leaf) {
  NP_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, SplitPath(path));
  if (parts.empty()) {
    return absl::InvalidArgumentError(StrCat("tfs path \"", path, "\" names the root"));
  }
  *leaf = std::string(parts.back());
  parts.pop_back();
  std::string parent_path;
  for (std::string_view part : parts) {
    StrAppend(&parent_path, "/", part);
  }
  NP_RETURN_IF_ERROR(AddDirectory(parent_path));
  Node* dir = root_.get();
  for (std::string_view part : parts) {
    dir = dir->children.find(part)->second.get();
  }
  return dir;
}

absl::Status TfsTree::AddLeaf(std::string_view path, std::unique_ptr<Node> node) {
  std::string leaf;
  NP_ASSIGN_OR_RETURN(Node * dir, Parent(path, &leaf));
  if (!dir->children.emplace(std::move(leaf), std::move(node)).second) {
    return absl::AlreadyExistsError(StrCat("tfs path \"", path, "\" already exists"));
  }
  return absl::OkStatus();
}

absl::Status TfsTree::AddFile(std::string_view path, FileSource source) {
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kFile;
  node->source = std::move(source);
  return AddLeaf(path, std::move(node));
}

absl::Status TfsTree::AddSymlink(std::string_view path, std::string target) {
  if (target.empty()) {
    return absl::InvalidArgumentError(StrCat("tfs symlink \"", path, "\": empty target"));
  }
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kSymlink;
  node->link_target = std::move(target);
  return AddLeaf(path, std::move(node));
}

absl::Status TfsTree::SetRootEntry(std::string_view name, Value value) {
  if (name == "children") {
    return absl::InvalidArgumentError("tfs root entry \"children\" is reserved for the file tree");
  }
  root_entries_.Set(name, std::move(value));
  return absl::OkStatus();
}

}  // namespace nanoplane::image
