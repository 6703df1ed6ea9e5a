#pragma once

// The textual tuple syntax of Nanos manifests, as its tuple parser reads it:
//
//   (name:value name:value ...)    a tuple; names and values are separated by ':'
//   [value value ...]              a vector
//   bare-word  or  "quoted string" a string; inside quotes a backslash makes the
//                                  next character literal
//   # comment                      to end of line, wherever whitespace may be
//
// A bare name ends at whitespace or one of ( ) [ ] : | /; a bare value ends at
// whitespace or one of ( ) [ ]. The printer quotes whenever a bare word would
// not read back identically, so Parse(Format(v)) == v for strings, tuples and
// vectors. Integers print as decimal strings and null as "" (the text syntax
// has neither), so they read back as strings.
//
// One deliberate difference: Nanos reads a trailing space before ']' as an
// extra empty element ("[a ]" is two elements there); here it is one.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/image/tfs/value.h"

namespace nanoplane::image {

// Single-line text, e.g. `(arguments:[web -p 80] program:/web)`.
std::string FormatValue(const Value& value);
std::string FormatTuple(const Tuple& tuple);

// Parses exactly one value (or tuple) with optional surrounding whitespace
// and comments. InvalidArgument names the byte offset of the problem. Nesting
// deeper than kMaxTextDepth is rejected.
inline constexpr int kMaxTextDepth = 512;
[[nodiscard]] absl::StatusOr<Value> ParseValue(std::string_view text);
[[nodiscard]] absl::StatusOr<Tuple> ParseTuple(std::string_view text);

}  // namespace nanoplane::image
