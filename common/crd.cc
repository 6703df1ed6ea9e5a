#include "common/crd.h"

#include "common/api.h"
#include "common/formats.h"
#include "common/schema.h"
#include "common/strings.h"
#include "common/yaml_json.h"
#include "nanoplane/v1alpha1/host.pb.h"

namespace nanoplane {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

Json ObjectSchema(const Descriptor& type);

Json IntOrStringSchema() {
  return Json{{"anyOf", Json::array({Json{{"type", "integer"}}, Json{{"type", "string"}}})},
              {"x-kubernetes-int-or-string", true}};
}

// The default as the CRD writes it: the same YAML text Default() decodes.
Json DefaultOf(const FieldDescriptor& field) {
  auto documents = ParseYamlDocuments(RulesOf(field).default_value());
  if (!documents.ok() || documents->size() != 1 || !(*documents)[0].ok()) {
    return nullptr;
  }
  return *(*documents)[0];
}

Json ScalarSchema(const FieldDescriptor& field, schema::Format format) {
  Json s = Json::object();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
      if (format == schema::QUANTITY) {
        s = IntOrStringSchema();
        s["pattern"] = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";
        break;
      }
      s["type"] = "integer";
      s["format"] = field.cpp_type() == FieldDescriptor::CPPTYPE_INT32 ? "int32" : "int64";
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      s["type"] = "boolean";
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      s["type"] = "string";
      Json values = Json::array();
      for (const std::string& name : EnumJsonNames(*field.enum_type())) {
        values.push_back(name);
      }
      s["enum"] = std::move(values);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor& type = *field.message_type();
      if (IsIntOrString(type)) {
        s = IntOrStringSchema();
        if (format == schema::INT_OR_PERCENT) {
          s["pattern"] = "^[0-9]+%$";  // for the string form only
        }
      } else if (IsStruct(type)) {
        s = Json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
      } else {
        s = ObjectSchema(type);
      }
      break;
    }
    default:
      s["type"] = "string";
      if (format == schema::DATE_TIME) {
        s["format"] = "date-time";
      } else if (std::string pattern = FormatPattern(format); !pattern.empty()) {
        s["pattern"] = pattern;
      }
      if (int max = FormatMaxLength(format); max > 0) {
        s["maxLength"] = max;
      }
      break;
  }
  return s;
}

Json FieldSchema(const FieldDescriptor& field) {
  const schema::FieldRules& rules = RulesOf(field);
  Json s;
  if (field.is_map()) {
    s = Json{{"type", "object"},
             {"additionalProperties",
              ScalarSchema(*field.message_type()->map_value(), schema::FORMAT_UNSPECIFIED)}};
  } else if (field.is_repeated()) {
    s = Json{{"type", "array"}, {"items", ScalarSchema(field, rules.key_format())}};
    if (rules.unique_key() == ".") {
      s["x-kubernetes-list-type"] = "set";
    } else if (!rules.unique_key().empty()) {
      s["x-kubernetes-list-type"] = "map";
      s["x-kubernetes-list-map-keys"] =
          Json::array({field.message_type()->FindFieldByName(rules.unique_key())->json_name()});
    }
  } else {
    s = ScalarSchema(field, rules.format());
  }
  if (!rules.description().empty()) {
    // Description first reads best in `kubectl explain` and in the file.
    Json described = Json{{"description", rules.description()}};
    described.update(s);
    s = std::move(described);
  }
  if (rules.has_minimum()) {
    s["minimum"] = rules.minimum();
  }
  if (rules.has_maximum()) {
    s["maximum"] = rules.maximum();
  }
  if (rules.has_max_items()) {
    s["maxItems"] = rules.max_items();
  }
  if (!rules.default_value().empty()) {
    s["default"] = DefaultOf(field);
  }
  return s;
}

Json ObjectSchema(const Descriptor& type) {
  Json s = Json::object();
  if (const std::string& description = type.options().GetExtension(schema::description);
      !description.empty()) {
    s["description"] = description;
  }
  s["type"] = "object";
  Json properties = Json::object();
  Json required = Json::array();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    properties[field.json_name()] = FieldSchema(field);
    // Output-only fields are required of the system, never of the user.
    if (RulesOf(field).required() && !RulesOf(field).output_only()) {
      required.push_back(field.json_name());
    }
  }
  s["properties"] = std::move(properties);
  if (!required.empty()) {
    s["required"] = std::move(required);
  }
  Json rules = Json::array();
  for (const schema::Validation& validation :
       type.options().GetRepeatedExtension(schema::validations)) {
    rules.push_back(Json{{"rule", validation.rule()}, {"message", validation.message()}});
  }
  if (!rules.empty()) {
    s["x-kubernetes-validations"] = std::move(rules);
  }
  return s;
}

Json PrinterColumn(std::string_view name, std::string_view type, std::string_view path,
                   std::string_view description) {
  return Json{{"name", name}, {"type", type}, {"jsonPath", path}, {"description", description}};
}

Json RootSchema(const Descriptor& type, bool spec_required) {
  Json root = ObjectSchema(type);
  // The API server owns metadata's schema; a CRD may only say it is an object.
  root["properties"]["metadata"] = Json{{"type", "object"}};
  root["required"] = spec_required ? Json::array({"spec"}) : Json::array();
  if (!spec_required) {
    root.erase("required");
  }
  return root;
}

struct CrdShape {
  const Descriptor* type;
  std::string_view kind;
  std::string_view plural;
  std::string_view singular;
  Json short_names;
  std::string_view scope;
  bool spec_required;
  Json subresources;
  Json columns;
};

Json Crd(const CrdShape& shape) {
  Json version = Json{
      {"name", kVersion},
      {"served", true},
      {"storage", true},
      {"schema", Json{{"openAPIV3Schema", RootSchema(*shape.type, shape.spec_required)}}},
      {"subresources", shape.subresources},
      {"additionalPrinterColumns", shape.columns},
  };
  return Json{
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", Json{{"name", StrCat(shape.plural, ".", kGroup)}}},
      {"spec", Json{{"group", kGroup},
                    {"names", Json{{"kind", shape.kind},
                                   {"listKind", StrCat(shape.kind, "List")},
                                   {"plural", shape.plural},
                                   {"singular", shape.singular},
                                   {"shortNames", shape.short_names},
                                   {"categories", Json::array({"all", "nanoplane"})}}},
                    {"scope", shape.scope},
                    {"versions", Json::array({std::move(version)})}}},
  };
}

std::string CrdYaml(const Json& crd, std::string_view proto) {
  std::string name = crd["metadata"]["name"];
  return StrCat("# Generated by `nanoplane crd` from ", proto, ".\n",
                "# Do not edit: change the proto and run `nanoplane crd --dir crds`.\n",
                JsonToYaml(crd));
}

}  // namespace

Json UnikernelCrd() {
  return Crd({
      .type = v1alpha1::Unikernel::descriptor(),
      .kind = kKind,
      .plural = "unikernels",
      .singular = "unikernel",
      .short_names = Json::array({"uk"}),
      .scope = "Namespaced",
      .spec_required = true,
      .subresources = Json{{"status", Json::object()},
                           {"scale", Json{{"specReplicasPath", ".spec.replicas"},
                                          {"statusReplicasPath", ".status.replicas"},
                                          {"labelSelectorPath", ".status.selector"}}}},
      .columns = Json::array({
          PrinterColumn("Desired", "integer", ".spec.replicas", "Instances wanted."),
          PrinterColumn("Ready", "integer", ".status.readyReplicas", "Instances ready."),
          PrinterColumn("Up-to-date", "integer", ".status.updatedReplicas",
                        "Instances of the newest revision."),
          PrinterColumn("Available", "integer", ".status.availableReplicas",
                        "Instances ready for at least minReadySeconds."),
          PrinterColumn("Age", "date", ".metadata.creationTimestamp", "Time since creation."),
      }),
  });
}

Json HostCrd() {
  return Crd({
      .type = v1alpha1::Host::descriptor(),
      .kind = "Host",
      .plural = "hosts",
      .singular = "host",
      .short_names = Json::array({"nph"}),
      .scope = "Cluster",
      .spec_required = false,
      .subresources = Json{{"status", Json::object()}},
      .columns = Json::array({
          PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status",
                        "Whether the agent is connected and heard from."),
          PrinterColumn("Accelerator", "string", ".status.accelerator", "KVM or TCG."),
          PrinterColumn("Instances", "integer", ".status.instances", "Instances it runs."),
          PrinterColumn("CPUs", "integer", ".status.allocatable.cpus", "Allocatable CPUs."),
          PrinterColumn("Memory", "string", ".status.allocatable.memory", "Allocatable memory."),
          PrinterColumn("Age", "date", ".metadata.creationTimestamp", "Time since creation."),
      }),
  });
}

std::vector<GeneratedCrd> AllCrds() {
  return {
      {.file = "unikernels.nanoplane.dev.yaml",
       .yaml = CrdYaml(UnikernelCrd(), "proto/nanoplane/v1alpha1/unikernel.proto")},
      {.file = "hosts.nanoplane.dev.yaml",
       .yaml = CrdYaml(HostCrd(), "proto/nanoplane/v1alpha1/host.proto")},
  };
}

std::string UnikernelCrdYaml() { return AllCrds()[0].yaml; }

}  // namespace nanoplane
