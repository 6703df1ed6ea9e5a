#include "agent/image/tfs/tuple_text.h"

#include <utility>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsBracket(char c) { return c == '(' || c == ')' || c == '[' || c == ']'; }
bool EndsBareName(char c) { return IsSpace(c) || IsBracket(c) || c == ':' || c == '|' || c == '/'; }
bool EndsBareValue(char c) { return IsSpace(c) || IsBracket(c); }

// Quoting is needed when the word would end early, start a quoted string or a
// comment, or be empty.
bool NeedsQuotes(std::string_view s, bool is_name) {
  if (s.empty() || s.front() == '#') {
    return true;
  }
  for (char c : s) {
    if (c == '"' || c == '\\' || (is_name ? EndsBareName(c) : EndsBareValue(c))) {
      return true;
    }
  }
  return false;
}

void AppendWord(std::string_view s, bool is_name, std::string* out) {
  if (!NeedsQuotes(s, is_name)) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
    }
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendValue(const Value& v, std::string* out);

void AppendTuple(const Tuple& t, std::string* out) {
  out->push_back('(');
  bool first = true;
  for (const auto& [name, value] : t) {
    if (!first) {
      out->push_back(' ');
    }
    first = false;
    AppendWord(name, /*is_name=*/true, out);
    out->push_back(':');
    AppendValue(value, out);
  }
  out->push_back(')');
}

void AppendValue(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kString:
      AppendWord(v.string(), /*is_name=*/false, out);
      break;
    case Value::Kind::kInteger:
      StrAppend(out, v.negative() ? "-" : "", v.magnitude());
      break;
    case Value::Kind::kNull:
      out->append("\"\"");
      break;
    case Value::Kind::kTuple:
      AppendTuple(v.tuple(), out);
      break;
    case Value::Kind::kVector: {
      out->push_back('[');
      for (size_t i = 0; i < v.vector().size(); ++i) {
        if (i > 0) {
          out->push_back(' ');
        }
        AppendValue(v.vector()[i], out);
      }
      out->push_back(']');
      break;
    }
  }
}

// A recursive-descent reader over the text; recursion depth is bounded by
// kMaxTextDepth so hostile input cannot exhaust the stack.
class TextParser {
 public:
  explicit TextParser(std::string_view text) : text_(text) {}

  absl::StatusOr<Value> ParseTop() {
    SkipSpace();
    NP_ASSIGN_OR_RETURN(Value v, ParseAny(0));
    SkipSpace();
    if (pos_ != text_.size()) {
      return Error("unexpected text after the value");
    }
    return v;
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat("tuple text: offset ", pos_, ": ", what));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd()) {
      if (IsSpace(Peek())) {
        ++pos_;
      } else if (Peek() == '#') {
        while (!AtEnd() && Peek() != '\n') {
          ++pos_;
        }
      } else {
        return;
      }
    }
  }

  absl::StatusOr<Value> ParseAny(int depth) {
    if (depth > kMaxTextDepth) {
      return Error("nesting too deep");
    }
    if (AtEnd()) {
      return Error("expected a value");
    }
    if (Peek() == '(') {
      NP_ASSIGN_OR_RETURN(Tuple t, ParseTupleBody(depth));
      return Value(std::move(t));
    }
    if (Peek() == '[') {
      return ParseVector(depth);
    }
    NP_ASSIGN_OR_RETURN(std::string s, ParseWord(/*is_name=*/false));
    return Value(std::move(s));
  }

  absl::StatusOr<std::string> ParseWord(bool is_name) {
    std::string out;
    if (!AtEnd() && Peek() == '"') {
      ++pos_;
      while (true) {
        if (AtEnd()) {
          return Error("unterminated quoted string");
        }
        char c = text_[pos_++];
        if (c == '"') {
          return out;
        }
        if (c == '\\') {
          if (AtEnd()) {
            return Error("unterminated quoted string");
          }
          c = text_[pos_++];
        }
        out.push_back(c);
      }
    }
    while (!AtEnd() && !(is_name ? EndsBareName(Peek()) : EndsBareValue(Peek()))) {
      out.push_back(text_[pos_++]);
    }
    return out;
  }

  // REQUIRES: Peek() == '('.
  absl::StatusOr<Tuple> ParseTupleBody(int depth) {
    ++pos_;
    Tuple t;
    while (true) {
      SkipSpace();
      if (AtEnd()) {
        return Error("unterminated tuple");
      }
      if (Peek() == ')') {
        ++pos_;
        return t;
      }
      NP_ASSIGN_OR_RETURN(std::string name, ParseWord(/*is_name=*/true));
      SkipSpace();
      if (AtEnd() || Peek() != ':') {
        return Error(StrCat("expected ':' after name \"", name, "\""));
      }
      ++pos_;
      SkipSpace();
      NP_ASSIGN_OR_RETURN(Value v, ParseAny(depth + 1));
      t.Set(name, std::move(v));
    }
  }

  // REQUIRES: Peek() == '['.
  absl::StatusOr<Value> ParseVector(int depth) {
    ++pos_;
    std::vector<Value> items;
    while (true) {
      SkipSpace();
      if (AtEnd()) {
        return Error("unterminated vector");
      }
      if (Peek() == ']') {
        ++pos_;
        return Value(std::move(items));
      }
      if (Peek() == ')') {
        return Error("unexpected ')' in vector");
      }
      NP_ASSIGN_OR_RETURN(Value v, ParseAny(depth + 1));
      items.push_back(std::move(v));
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string FormatValue(const Value& value) {
  std::string out;
  AppendValue(value, &out);
  return out;
}

std::string FormatTuple(const Tuple& tuple) {
  std::string out;
  AppendTuple(tuple, &out);
  return out;
}

absl::StatusOr<Value> ParseValue(std::string_view text) { return TextParser(text).ParseTop(); }

absl::StatusOr<Tuple> ParseTuple(std::string_view text) {
  NP_ASSIGN_OR_RETURN(Value v, ParseValue(text));
  if (!v.is_tuple()) {
    return absl::InvalidArgumentError("tuple text: expected a tuple starting with '('");
  }
  return std::move(v.tuple());
}

}  // namespace nanoplane::image
