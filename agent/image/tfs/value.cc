#include "agent/image/tfs/value.h"

#include "absl/strings/numbers.h"

namespace nanoplane::image {

Value::Value() = default;
Value::Value(std::string s) : string_(std::move(s)) {}
Value::Value(std::string_view s) : string_(s) {}
Value::Value(const char* s) : string_(s) {}
Value::Value(Tuple t) : kind_(Kind::kTuple), tuple_(std::make_unique<Tuple>(std::move(t))) {}
Value::Value(std::vector<Value> v) : kind_(Kind::kVector), vector_(std::move(v)) {}

Value Value::Integer(uint64_t magnitude, bool negative) {
  Value v;
  v.kind_ = Kind::kInteger;
  v.integer_ = magnitude;
  v.negative_ = negative && magnitude != 0;
  return v;
}

Value Value::Null() {
  Value v;
  v.kind_ = Kind::kNull;
  return v;
}

Value::Value(const Value& other)
    : kind_(other.kind_),
      string_(other.string_),
      integer_(other.integer_),
      negative_(other.negative_),
      vector_(other.vector_) {
  if (other.tuple_ != nullptr) {
    tuple_ = std::make_unique<Tuple>(*other.tuple_);
  }
}

Value::Value(Value&& other) noexcept = default;

Value& Value::operator=(const Value& other) {
  if (this != &other) {
    Value copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Value& Value::operator=(Value&& other) noexcept = default;
Value::~Value() = default;

bool Value::AsUint64(uint64_t* out) const {
  if (kind_ == Kind::kInteger) {
    if (negative_) {
      return false;
    }
    *out = integer_;
    return true;
  }
  if (kind_ != Kind::kString || string_.empty() || string_.size() > 20) {
    return false;
  }
  for (char c : string_) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return absl::SimpleAtoi(string_, out);
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) {
    return false;
  }
  switch (a.kind_) {
    case Value::Kind::kString:
      return a.string_ == b.string_;
    case Value::Kind::kInteger:
      return a.integer_ == b.integer_ && a.negative_ == b.negative_;
    case Value::Kind::kTuple:
      return *a.tuple_ == *b.tuple_;
    case Value::Kind::kVector:
      return a.vector_ == b.vector_;
    case Value::Kind::kNull:
      return true;
  }
  return false;
}

void Tuple::Set(std::string_view name, Value v) {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    entries_.emplace(std::string(name), std::move(v));
  } else {
    it->second = std::move(v);
  }
}

const Value* Tuple::Find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

Value* Tuple::Find(std::string_view name) {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

const Tuple* Tuple::FindTuple(std::string_view name) const {
  const Value* v = Find(name);
  return (v != nullptr && v->is_tuple()) ? &v->tuple() : nullptr;
}

}  // namespace nanoplane::image
