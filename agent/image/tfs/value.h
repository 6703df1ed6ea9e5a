#pragma once

// The value model of Nanos metadata: the manifest and the TFS file tree are both
// values. A value is a string (arbitrary bytes), a tuple (names to values), a
// vector (ordered values), an integer (what the kernel and mkfs store for file
// lengths and extents) or null (a present-but-empty marker, e.g. `uninited`).
//
// Values own their children (deep copies on copy). Not thread-safe for
// concurrent mutation; const access from several threads is fine.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nanoplane::image {

class Tuple;

class Value {
 public:
  enum class Kind { kString, kInteger, kTuple, kVector, kNull };

  Value();                      // An empty string.
  Value(std::string s);         // NOLINT: strings convert implicitly, as in manifests.
  Value(std::string_view s);    // NOLINT
  Value(const char* s);         // NOLINT
  Value(Tuple t);               // NOLINT
  Value(std::vector<Value> v);  // NOLINT
  static Value Integer(uint64_t magnitude, bool negative = false);
  static Value Null();

  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;
  ~Value();

  Kind kind() const { return kind_; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_integer() const { return kind_ == Kind::kInteger; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_vector() const { return kind_ == Kind::kVector; }
  bool is_null() const { return kind_ == Kind::kNull; }

  // REQUIRES: the matching kind.
  const std::string& string() const { return string_; }
  std::string& string() { return string_; }
  const Tuple& tuple() const { return *tuple_; }
  Tuple& tuple() { return *tuple_; }
  const std::vector<Value>& vector() const { return vector_; }
  std::vector<Value>& vector() { return vector_; }
  uint64_t magnitude() const { return integer_; }
  bool negative() const { return negative_; }

  // An unsigned number held either as an integer or as a decimal string, the
  // two spellings the kernel accepts for numeric attributes. False otherwise.
  bool AsUint64(uint64_t* out) const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  Kind kind_ = Kind::kString;
  std::string string_;
  uint64_t integer_ = 0;
  bool negative_ = false;
  std::unique_ptr<Tuple> tuple_;
  std::vector<Value> vector_;
};

// Names to values, iterated in byte order of the names (Nanos's own tables are
// unordered; a fixed order keeps images and text reproducible).
class Tuple {
 public:
  using Map = std::map<std::string, Value, std::less<>>;

  Tuple() = default;
  Tuple(std::initializer_list<std::pair<const std::string, Value>> entries) : entries_(entries) {}

  // Sets (or replaces) `name`.
  void Set(std::string_view name, Value v);
  // Returns the value of `name`, or nullptr.
  const Value* Find(std::string_view name) const;
  Value* Find(std::string_view name);
  // The tuple under `name`, or nullptr if absent or not a tuple.
  const Tuple* FindTuple(std::string_view name) const;
  bool Erase(std::string_view name) { return entries_.erase(std::string(name)) > 0; }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  Map::const_iterator begin() const { return entries_.begin(); }
  Map::const_iterator end() const { return entries_.end(); }
  Map::iterator begin() { return entries_.begin(); }
  Map::iterator end() { return entries_.end(); }

  friend bool operator==(const Tuple& a, const Tuple& b) { return a.entries_ == b.entries_; }

 private:
  Map entries_;
};

}  // namespace nanoplane::image
