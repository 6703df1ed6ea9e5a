#include "agent/image/tfs/tuple_codec.h"

#include <bit>
#include <map>
#include <utility>

#include "agent/image/tfs/tfs_format.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {

void AppendVarint(uint64_t value, std::string* out) {
  uint8_t groups[kMaxVarintBytes];
  int n = 0;
  do {
    groups[n++] = value & 0x7f;
    value >>= 7;
  } while (value != 0);
  while (n-- > 0) {
    out->push_back(static_cast<char>(groups[n] | (n > 0 ? 0x80 : 0)));
  }
}

void AppendValueHeader(bool immediate, uint8_t type, uint64_t length, std::string* out) {
  int bits = length == 0 ? 0 : 64 - std::countl_zero(length);
  int words = bits > 3 ? (bits - 3 + 6) / 7 : 0;
  uint8_t first = (immediate ? 0x80 : 0) | (type << 4) | (words > 0 ? 0x08 : 0) |
                  static_cast<uint8_t>(length >> (words * 7));
  out->push_back(static_cast<char>(first));
  for (int i = words - 1; i >= 0; --i) {
    out->push_back(static_cast<char>(((length >> (i * 7)) & 0x7f) | (i > 0 ? 0x80 : 0)));
  }
}

absl::StatusOr<uint8_t> ByteCursor::U8() {
  if (pos_ >= data_.size()) {
    return absl::InvalidArgumentError("tfs: truncated encoding");
  }
  return static_cast<uint8_t>(data_[pos_++]);
}

absl::StatusOr<uint64_t> ByteCursor::Varint() {
  uint64_t out = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    NP_ASSIGN_OR_RETURN(uint8_t b, U8());
    if ((out >> 57) != 0) {
      return absl::InvalidArgumentError("tfs: varint overflows 64 bits");
    }
    out = (out << 7) | (b & 0x7f);
    if ((b & 0x80) == 0) {
      return out;
    }
  }
  return absl::InvalidArgumentError("tfs: varint too long");
}

absl::StatusOr<std::string_view> ByteCursor::Bytes(uint64_t n) {
  if (n > remaining()) {
    return absl::InvalidArgumentError("tfs: truncated encoding");
  }
  std::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

// ---- Encoder ----

void TupleEncoder::EncodeEntry(const Tuple& tuple, std::string* out) { EncodeTuple(tuple, out); }

void TupleEncoder::EncodeTuple(const Tuple& tuple, std::string* out) {
  AppendValueHeader(true, kTypeTuple, tuple.size(), out);
  ++next_index_;  // The decoder numbers the tuple before its contents.
  for (const auto& [name, value] : tuple) {
    EncodeName(name, out);
    EncodeValue(value, out);
  }
}

void TupleEncoder::EncodeName(std::string_view name, std::string* out) {
  auto it = names_.find(std::string(name));
  if (it != names_.end()) {
    AppendValueHeader(false, kTypeBuffer, it->second, out);
    return;
  }
  AppendValueHeader(true, kTypeBuffer, name.size(), out);
  out->append(name);
  names_.emplace(std::string(name), next_index_++);
}

void TupleEncoder::EncodeValue(const Value& value, std::string* out) {
  switch (value.kind()) {
    case Value::Kind::kString:
      AppendValueHeader(true, kTypeString, value.string().size(), out);
      out->append(value.string());
      break;
    case Value::Kind::kInteger:
      // The length field is the sign: 1 for negative.
      AppendValueHeader(true, kTypeInteger, value.negative() ? 1 : 0, out);
      AppendVarint(value.magnitude(), out);
      break;
    case Value::Kind::kNull:
      // The kernel's null is an untyped one-byte buffer holding NUL.
      AppendValueHeader(true, kTypeBuffer, 1, out);
      out->push_back('\0');
      break;
    case Value::Kind::kTuple:
      EncodeTuple(value.tuple(), out);
      break;
    case Value::Kind::kVector:
      AppendValueHeader(true, kTypeVector, value.vector().size(), out);
      ++next_index_;
      for (const Value& item : value.vector()) {
        EncodeValue(item, out);
      }
      break;
  }
}

// ---- Decoder ----

struct TupleDecoder::Slot {
  enum Kind { kAbsent, kNull, kBytes, kInteger, kNode } kind = kAbsent;
  std::string bytes;
  uint64_t magnitude = 0;
  bool negative = false;
  uint32_t node = 0;
};

struct TupleDecoder::Node {
  bool is_vector = false;
  std::map<std::string, Slot, std::less<>> entries;
  std::vector<Slot> items;
};

struct TupleDecoder::Header {
  bool immediate;
  uint8_t type;
  uint64_t length;
};

TupleDecoder::TupleDecoder() = default;
TupleDecoder::~TupleDecoder() = default;

absl::StatusOr<TupleDecoder::Header> TupleDecoder::ReadHeader(ByteCursor& in) const {
  NP_ASSIGN_OR_RETURN(uint8_t a, in.U8());
  Header h;
  h.immediate = (a & 0x80) != 0;
  h.type = old_encoding_ ? ((a >> 6) & 1) : ((a >> 4) & 7);
  h.length = a & (old_encoding_ ? 0x1f : 0x07);
  if ((a & (old_encoding_ ? 0x20 : 0x08)) != 0) {
    for (size_t i = 0;; ++i) {
      if (i >= kMaxVarintBytes || (h.length >> 57) != 0) {
        return absl::InvalidArgumentError("tfs: value length overflows");
      }
      NP_ASSIGN_OR_RETURN(uint8_t b, in.U8());
      h.length = (h.length << 7) | (b & 0x7f);
      if ((b & 0x80) == 0) {
        break;
      }
    }
  }
  return h;
}

absl::StatusOr<TupleDecoder::Slot> TupleDecoder::Lookup(uint64_t index) const {
  if (index == 0 || index > dictionary_.size()) {
    return absl::InvalidArgumentError(StrCat("tfs: reference to unknown entry ", index));
  }
  auto [is_node, pos] = dictionary_[index - 1];
  Slot s;
  if (is_node) {
    s.kind = Slot::kNode;
    s.node = pos;
  } else {
    s.kind = Slot::kBytes;
    s.bytes = symbols_[pos];
  }
  return s;
}

absl::StatusOr<uint32_t> TupleDecoder::TargetNode(ByteCursor& in, const Header& h, bool vector) {
  if (h.immediate) {
    nodes_.emplace_back().is_vector = vector;
    dictionary_.emplace_back(true, nodes_.size() - 1);
    return nodes_.size() - 1;
  }
  NP_ASSIGN_OR_RETURN(uint64_t index, in.Varint());
  NP_ASSIGN_OR_RETURN(Slot s, Lookup(index));
  if (s.kind != Slot::kNode || nodes_[s.node].is_vector != vector) {
    return absl::InvalidArgumentError(StrCat("tfs: entry ", index, " has the wrong type"));
  }
  return s.node;
}

absl::StatusOr<std::string> TupleDecoder::DecodeName(ByteCursor& in) {
  NP_ASSIGN_OR_RETURN(Header h, ReadHeader(in));
  if (!h.immediate) {
    NP_ASSIGN_OR_RETURN(Slot s, Lookup(h.length));
    if (s.kind != Slot::kBytes) {
      return absl::InvalidArgumentError("tfs: attribute name refers to a tuple");
    }
    return std::move(s.bytes);
  }
  NP_ASSIGN_OR_RETURN(std::string_view name, in.Bytes(h.length));
  symbols_.emplace_back(name);
  dictionary_.emplace_back(false, symbols_.size() - 1);
  cost_ += name.size() + 1;
  return std::string(name);
}

absl::StatusOr<TupleDecoder::Slot> TupleDecoder::DecodeValue(ByteCursor& in, int depth) {
  if (depth > kMaxDecodeDepth) {
    return absl::InvalidArgumentError("tfs: metadata nested too deeply");
  }
  NP_ASSIGN_OR_RETURN(Header h, ReadHeader(in));
  ++cost_;
  Slot out;
  if (h.type == kTypeTuple || h.type == kTypeVector) {
    bool vector = h.type == kTypeVector;
    NP_ASSIGN_OR_RETURN(uint32_t node, TargetNode(in, h, vector));
    // Each element takes at least one byte, so this loop is bounded by the
    // input even for a hostile length.
    for (uint64_t i = 0; i < h.length; ++i) {
      std::string name;
      if (!vector) {
        NP_ASSIGN_OR_RETURN(name, DecodeName(in));
      }
      NP_ASSIGN_OR_RETURN(Slot v, DecodeValue(in, depth + 1));
      Node& n = nodes_[node];
      if (vector) {
        if (i >= n.items.size()) {
          n.items.resize(i + 1);
        }
        n.items[i] = std::move(v);
      } else if (v.kind == Slot::kAbsent) {
        n.entries.erase(name);  // An empty value deletes the attribute.
      } else {
        n.entries.insert_or_assign(std::move(name), std::move(v));
      }
    }
    out.kind = Slot::kNode;
    out.node = node;
    return out;
  }
  if (h.type == kTypeInteger) {
    if (!h.immediate) {
      return absl::InvalidArgumentError("tfs: integer by reference");
    }
    out.kind = Slot::kInteger;
    out.negative = h.length > 0;
    NP_ASSIGN_OR_RETURN(out.magnitude, in.Varint());
    return out;
  }
  if (h.type != kTypeString && h.type != kTypeBuffer) {
    return absl::InvalidArgumentError(StrCat("tfs: unknown value type ", h.type));
  }
  if (!h.immediate) {
    return Lookup(h.length);
  }
  if (h.type == kTypeBuffer && h.length == 0) {
    return out;  // Absent.
  }
  NP_ASSIGN_OR_RETURN(std::string_view bytes, in.Bytes(h.length));
  cost_ += bytes.size();
  if (h.type == kTypeBuffer && bytes.size() == 1 && bytes[0] == '\0') {
    out.kind = Slot::kNull;
    return out;
  }
  out.kind = Slot::kBytes;
  out.bytes = std::string(bytes);
  return out;
}

absl::Status TupleDecoder::DecodeEntry(std::string_view entry, bool old_encoding) {
  old_encoding_ = old_encoding;
  ByteCursor in(entry);
  NP_ASSIGN_OR_RETURN(Slot s, DecodeValue(in, 0));
  (void)s;  // Like the kernel, a non-tuple entry has no effect.
  if (in.remaining() != 0) {
    return absl::InvalidArgumentError("tfs: log entry has trailing bytes");
  }
  return absl::OkStatus();
}

absl::Status TupleDecoder::Materialize(const Slot& slot, int depth, Value* out,
                                       std::vector<bool>* on_path, uint64_t* budget) const {
  uint64_t cost = 1 + slot.bytes.size();
  if (depth > kMaxDecodeDepth || cost > *budget) {
    return absl::InvalidArgumentError("tfs: metadata too deep or too large when expanded");
  }
  *budget -= cost;
  switch (slot.kind) {
    case Slot::kAbsent:
    case Slot::kNull:
      *out = Value::Null();
      return absl::OkStatus();
    case Slot::kBytes:
      *out = Value(slot.bytes);
      return absl::OkStatus();
    case Slot::kInteger:
      *out = Value::Integer(slot.magnitude, slot.negative);
      return absl::OkStatus();
    case Slot::kNode:
      break;
  }
  if ((*on_path)[slot.node]) {
    return absl::InvalidArgumentError("tfs: metadata contains a cycle");
  }
  (*on_path)[slot.node] = true;
  const Node& n = nodes_[slot.node];
  if (n.is_vector) {
    std::vector<Value> items(n.items.size());
    for (size_t i = 0; i < n.items.size(); ++i) {
      NP_RETURN_IF_ERROR(Materialize(n.items[i], depth + 1, &items[i], on_path, budget));
    }
    *out = Value(std::move(items));
  } else {
    Tuple t;
    for (const auto& [name, child] : n.entries) {
      Value v;
      NP_RETURN_IF_ERROR(Materialize(child, depth + 1, &v, on_path, budget));
      t.Set(name, std::move(v));
    }
    *out = Value(std::move(t));
  }
  (*on_path)[slot.node] = false;
  return absl::OkStatus();
}

absl::StatusOr<Tuple> TupleDecoder::Root() const {
  if (dictionary_.empty() || !dictionary_[0].first || nodes_[dictionary_[0].second].is_vector) {
    return absl::InvalidArgumentError("tfs: log holds no root tuple");
  }
  Slot root;
  root.kind = Slot::kNode;
  root.node = dictionary_[0].second;
  std::vector<bool> on_path(nodes_.size(), false);
  // Shared tuples (hard links) are copied; the budget stops hostile sharing
  // from expanding exponentially.
  uint64_t budget = 4 * cost_ + (1u << 20);
  Value v;
  NP_RETURN_IF_ERROR(Materialize(root, 0, &v, &on_path, &budget));
  return std::move(v.tuple());
}

}  // namespace nanoplane::image
