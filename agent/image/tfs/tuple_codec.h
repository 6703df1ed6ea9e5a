#pragma once

// The binary encoding of values in the TFS log.
//
// Every value starts with a header byte: bit 7 "immediate" (1) or "reference"
// (0), bits 4-6 the type (tfs_format.h kType*), bit 3 "length continues", bits
// 0-2 the high bits of a length; continuation bytes carry 7 more bits each,
// most significant first, bit 7 set on all but the last. Each log entry is one
// tuple. Tuples, vectors and names (symbols) are numbered 1, 2, 3, ... in the
// order they first appear, across all entries of a log; later entries refer to
// them by number. The first tuple is the filesystem root.
//
// Not thread-safe; one encoder or decoder per log.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/image/tfs/value.h"

namespace nanoplane::image {

// Big-endian base-128 varint as the log uses it (not LEB128: the most
// significant group comes first; bit 7 marks "more follows").
void AppendVarint(uint64_t value, std::string* out);
void AppendValueHeader(bool immediate, uint8_t type, uint64_t length, std::string* out);

// Bounds-checked reading over a byte range. Every failure is InvalidArgument
// ("truncated" or "malformed"), never a crash.
class ByteCursor {
 public:
  explicit ByteCursor(std::string_view data) : data_(data) {}
  absl::StatusOr<uint8_t> U8();
  absl::StatusOr<uint64_t> Varint();
  absl::StatusOr<std::string_view> Bytes(uint64_t n);
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

class TupleEncoder {
 public:
  // Appends `tuple` as one log entry (a new tuple and everything under it).
  void EncodeEntry(const Tuple& tuple, std::string* out);

 private:
  void EncodeTuple(const Tuple& tuple, std::string* out);
  void EncodeValue(const Value& value, std::string* out);
  void EncodeName(std::string_view name, std::string* out);

  uint64_t next_index_ = 1;
  std::unordered_map<std::string, uint64_t> names_;
};

// Decodes log entries in order, applying each to the tuples it names (later
// entries may add, replace or delete attributes of earlier tuples), then
// builds the root. Hostile input yields InvalidArgument: nesting is limited to
// kMaxDecodeDepth and materializing shared tuples is limited in total size.
class TupleDecoder {
 public:
  static constexpr int kMaxDecodeDepth = 1024;

  TupleDecoder();
  ~TupleDecoder();
  // `old_encoding`: the version-4 header layout.
  [[nodiscard]] absl::Status DecodeEntry(std::string_view entry, bool old_encoding);
  // The first tuple of the log with everything reachable from it.
  [[nodiscard]] absl::StatusOr<Tuple> Root() const;

 private:
  struct Slot;
  struct Node;
  struct Header;
  absl::StatusOr<Header> ReadHeader(ByteCursor& in) const;
  absl::StatusOr<Slot> DecodeValue(ByteCursor& in, int depth);
  absl::StatusOr<uint32_t> TargetNode(ByteCursor& in, const Header& h, bool vector);
  absl::StatusOr<std::string> DecodeName(ByteCursor& in);
  absl::StatusOr<Slot> Lookup(uint64_t index) const;
  absl::Status Materialize(const Slot& slot, int depth, Value* out, std::vector<bool>* on_path,
                           uint64_t* budget) const;

  bool old_encoding_ = false;
  std::vector<Node> nodes_;
  std::vector<std::string> symbols_;
  // Dictionary index - 1 -> (is_node, position in nodes_ or symbols_).
  std::vector<std::pair<bool, uint32_t>> dictionary_;
  uint64_t cost_ = 0;  // Items plus bytes decoded; bounds materialization.
};

}  // namespace nanoplane::image
