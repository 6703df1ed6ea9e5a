#pragma once

// The schema-driven codec between protobuf messages and their JSON/YAML form in
// Kubernetes conventions: lowerCamelCase names, enums by their json_value
// ("RollingUpdate"), QUANTITY fields as "256Mi", IntOrString as 1 or "25%",
// google.protobuf.Struct as free-form JSON. Works for any message whose fields
// carry (nanoplane.schema.field) options, by reflection.

#include <string_view>

#include "common/field_errors.h"
#include "common/json.h"
#include "google/protobuf/message.h"

namespace nanoplane {

// Merges `json` into `message`. Every problem (wrong type, unknown field, with a
// did-you-mean suggestion, bad enum value) is appended to `errors` with its path
// below `path`; the rest of the document is still decoded. A null means unset.
void DecodeMessage(const Json& json, google::protobuf::Message& message, std::string_view path,
                   FieldErrors& errors);

// Decodes one field's value, as the codec would inside an object.
void DecodeField(const Json& json, google::protobuf::Message& message,
                 const google::protobuf::FieldDescriptor& field, std::string_view path,
                 FieldErrors& errors);

// The message as JSON: fields in schema order, unset fields left out, map keys
// sorted, so equal messages encode to equal text.
Json EncodeMessage(const google::protobuf::Message& message);

}  // namespace nanoplane
