#pragma once

// Reading the schema options of proto/nanoplane/schema/options.proto from
// descriptors: shared by the codec, defaulting, validation and the CRD generator.

#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "nanoplane/schema/options.pb.h"

namespace nanoplane {

const schema::FieldRules& RulesOf(const google::protobuf::FieldDescriptor& field);

// "RollingUpdate" for ROLLING_UPDATE: the value's json_value option, else its name.
std::string EnumJsonName(const google::protobuf::EnumValueDescriptor& value);

// The value spelled `name` in YAML/JSON, or null. Never the 0 (unspecified) value.
const google::protobuf::EnumValueDescriptor* FindEnumByJsonName(
    const google::protobuf::EnumDescriptor& type, std::string_view name);

// The YAML spellings of an enum's values, unspecified excluded: {"Always", ...}.
std::vector<std::string> EnumJsonNames(const google::protobuf::EnumDescriptor& type);

bool IsIntOrString(const google::protobuf::Descriptor& type);
bool IsStruct(const google::protobuf::Descriptor& type);

// Whether the user gave the field: a present message or optional scalar, a
// non-empty list or map, or a non-zero implicit-presence scalar.
bool IsFieldSet(const google::protobuf::Message& message,
                const google::protobuf::FieldDescriptor& field);

}  // namespace nanoplane
