#pragma once

// Label and field selectors as k8s.io/apimachinery/pkg/labels and
// pkg/fields parse and match them. Pure functions.

#include <map>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace nanoplane::kube::testing {

using StringMap = std::map<std::string, std::string>;

struct LabelRequirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;
};

struct LabelSelector {
  std::vector<LabelRequirement> requirements;  // all must hold; none = everything
  bool Matches(const StringMap& labels) const;
};

// "app=web,tier!=db,env in (a,b),!legacy,owner". BadRequest (400) on bad syntax.
[[nodiscard]] absl::StatusOr<LabelSelector> ParseLabelSelector(absl::string_view text);

struct FieldRequirement {
  std::string field;
  bool equals = true;  // false for !=
  std::string value;
};

struct FieldSelector {
  std::vector<FieldRequirement> requirements;
  // `fields` holds the object's selectable fields; an absent one reads as "".
  bool Matches(const StringMap& fields) const;
  // The value an `=` requirement on `field` pins, or nullptr.
  const std::string* ExactMatch(absl::string_view field) const;
};

// "metadata.name=web,involvedObject.kind!=Pod". Fields outside `supported`
// fail as the real server does: 400 `field label not supported: <field>`.
[[nodiscard]] absl::StatusOr<FieldSelector> ParseFieldSelector(
    absl::string_view text, const std::vector<std::string>& supported);

// Both selectors of a list, watch or deletecollection request.
struct Selectors {
  LabelSelector labels;
  FieldSelector fields;
  bool Empty() const { return labels.requirements.empty() && fields.requirements.empty(); }
  bool Matches(const StringMap& object_labels, const StringMap& object_fields) const {
    return labels.Matches(object_labels) && fields.Matches(object_fields);
  }
};

[[nodiscard]] absl::StatusOr<Selectors> ParseSelectors(absl::string_view label_text,
                                                       absl::string_view field_text,
                                                       const std::vector<std::string>& supported);

}  // namespace nanoplane::kube::testing
