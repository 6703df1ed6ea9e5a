#include "agent/image/builder/spec_request.h"

#include <cmath>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

constexpr const char* kImage = "spec.template.image";

Value ToValue(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return Value(value.string_value());
    case google::protobuf::Value::kBoolValue:
      return Value(value.bool_value() ? "t" : "f");
    case google::protobuf::Value::kNumberValue: {
      double n = value.number_value();
      if (n == std::floor(n) && std::fabs(n) < 1e18) {
        return Value(StrCat(static_cast<int64_t>(n)));
      }
      return Value(std::to_string(n));
    }
    case google::protobuf::Value::kListValue: {
      std::vector<Value> items;
      for (const auto& item : value.list_value().values()) {
        items.push_back(ToValue(item));
      }
      return Value(std::move(items));
    }
    case google::protobuf::Value::kStructValue:
      return Value(ManifestTuple(value.struct_value()));
    default:
      return Value("");
  }
}

}  // namespace

Tuple ManifestTuple(const google::protobuf::Struct& manifest) {
  Tuple tuple;
  for (const auto& [key, value] : manifest.fields()) {
    tuple.Set(key, ToValue(value));
  }
  return tuple;
}

absl::StatusOr<BuildRequest> BuildRequestFromSpec(const v1alpha1::ImageSpec& spec,
                                                  const SourceResolver& resolve,
                                                  const PackageOpener& open_package) {
  BuildRequest request;
  request.program = spec.program();
  if (spec.has_source()) {
    NP_ASSIGN_OR_RETURN(request.program_source, resolve(spec.source(), StrCat(kImage, ".source")));
  }
  request.args.assign(spec.args().begin(), spec.args().end());
  for (const auto& env : spec.env()) {
    request.env.emplace_back(env.name(), env.value());
  }
  for (int i = 0; i < spec.files_size(); ++i) {
    const auto& file = spec.files(i);
    FileInput input{.image_path = file.path(), .content = file.content()};
    if (file.has_source()) {
      NP_ASSIGN_OR_RETURN(input.host_path,
                          resolve(file.source(), StrCat(kImage, ".files[", i, "].source")));
    }
    request.files.push_back(std::move(input));
  }
  request.dirs.assign(spec.dirs().begin(), spec.dirs().end());
  for (const auto& map : spec.map_dirs()) {
    v1alpha1::Source source;
    source.set_path(map.source());
    NP_ASSIGN_OR_RETURN(std::string host, resolve(source, StrCat(kImage, ".mapDirs.source")));
    request.map_dirs.push_back({host, map.path()});
  }
  for (int i = 0; i < spec.packages_size(); ++i) {
    std::string field = StrCat(kImage, ".packages[", i, "].source");
    NP_ASSIGN_OR_RETURN(std::string host, resolve(spec.packages(i).source(), field));
    auto dir = open_package(host);
    if (!dir.ok()) {
      return Annotate(dir.status(), field);
    }
    request.packages.push_back(*dir);
  }
  request.nanos_version = spec.nanos().version();
  request.klibs.assign(spec.nanos().klibs().begin(), spec.nanos().klibs().end());
  request.debug_flags.assign(spec.nanos().debug().begin(), spec.nanos().debug().end());
  request.manifest = ManifestTuple(spec.manifest());
  request.base_volume_size = static_cast<uint64_t>(spec.base_volume_size());
  return request;
}

}  // namespace nanoplane::image
