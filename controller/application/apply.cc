#include "controller/application/apply.h"

#include <algorithm>

#include "common/defaults.h"
#include "common/strings.h"
#include "common/validation.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

bool IsSystemAnnotation(const std::string& key) { return key.starts_with(kSystemAnnotationPrefix); }

void AddReference(const pb::Source& source, const std::string& path,
                  std::vector<ArtifactReference>& out) {
  if (!source.sha256().empty() && source.path().empty() && source.url().empty()) {
    out.push_back({ChildPath(path, "sha256"), source.sha256()});
  }
}

std::vector<const pb::Source*> Sources(const pb::UnikernelTemplate& tmpl) {
  std::vector<const pb::Source*> out;
  if (tmpl.image().has_source()) {
    out.push_back(&tmpl.image().source());
  }
  for (const pb::FileSpec& file : tmpl.image().files()) {
    if (file.has_source()) {
      out.push_back(&file.source());
    }
  }
  for (const pb::Package& package : tmpl.image().packages()) {
    out.push_back(&package.source());
  }
  return out;
}

absl::StatusOr<LabelRequirement> ParseRequirement(std::string_view term) {
  LabelRequirement out;
  size_t op = term.find_first_of("!=");
  if (op == std::string_view::npos) {
    out.key = std::string(term);
    out.op = LabelRequirement::Op::kExists;
  } else if (op == 0 && term[0] == '!' && term.find('=') == std::string_view::npos) {
    out.key = std::string(term.substr(1));
    out.op = LabelRequirement::Op::kNotExists;
  } else {
    out.key = std::string(term.substr(0, op));
    std::string_view rest = term.substr(op);
    size_t skip = rest.starts_with("!=") || rest.starts_with("==") ? 2 : 1;
    out.op =
        rest.starts_with("!=") ? LabelRequirement::Op::kNotEquals : LabelRequirement::Op::kEquals;
    if (rest[0] == '!' && skip == 1) {
      return absl::InvalidArgumentError(StrCat("label selector: \"", term, "\" is not a term"));
    }
    out.value = std::string(rest.substr(skip));
  }
  if (out.key.empty() || out.value.find_first_of("!=") != std::string::npos) {
    return absl::InvalidArgumentError(StrCat("label selector: \"", term, "\" is not a term"));
  }
  return out;
}

}  // namespace

pb::Unikernel PrepareApplied(const pb::Unikernel& in) {
  pb::Unikernel out;
  out.set_api_version(in.api_version());
  out.set_kind(in.kind());
  pb::ObjectMeta& meta = *out.mutable_metadata();
  meta.set_name(in.metadata().name());
  meta.set_namespace_(in.metadata().namespace_());
  *meta.mutable_labels() = in.metadata().labels();
  *meta.mutable_annotations() = in.metadata().annotations();
  if (in.has_spec()) {
    *out.mutable_spec() = in.spec();
  }
  DefaultUnikernel(out);
  return out;
}

FieldErrors ValidateApplied(const pb::Unikernel& prepared) { return ValidateUnikernel(prepared); }

std::string FormatObjectErrors(const pb::Unikernel& object, const FieldErrors& errors) {
  std::string out =
      StrCat("Unikernel ", object.metadata().namespace_(), "/", object.metadata().name(), ": ");
  for (size_t i = 0; i < errors.size(); ++i) {
    StrAppend(&out, i > 0 ? "; " : "", FormatFieldError(errors[i]));
  }
  return out;
}

pb::Unikernel MergeForApply(const pb::Unikernel& stored, const pb::Unikernel& applied,
                            const pb::Unikernel& sent) {
  pb::Unikernel out = stored;
  out.clear_status();
  *out.mutable_spec() = applied.spec();
  if (!sent.spec().has_replicas()) {
    out.mutable_spec()->set_replicas(stored.spec().replicas());
  }
  if (!sent.spec().has_paused()) {
    out.mutable_spec()->set_paused(stored.spec().paused());
  }
  pb::ObjectMeta& meta = *out.mutable_metadata();
  *meta.mutable_labels() = applied.metadata().labels();
  *meta.mutable_annotations() = applied.metadata().annotations();
  for (const auto& [key, value] : stored.metadata().annotations()) {
    if (IsSystemAnnotation(key)) {
      meta.mutable_annotations()->insert({key, value});  // keeps an applied value
    }
  }
  const auto& stored_marks = stored.spec().template_().metadata().annotations();
  auto marker = stored_marks.find(std::string(kRestartedAtAnnotation));
  if (marker != stored_marks.end()) {
    // `insert` keeps an applied value.
    out.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_annotations()->insert(
        {marker->first, marker->second});
  }
  return out;
}

pb::Unikernel PrepareCreate(const pb::Unikernel& applied) {
  pb::Unikernel out = applied;
  out.mutable_metadata()->add_finalizers(std::string(core::kFinalizer));
  return out;
}

std::vector<ArtifactReference> ArtifactReferences(const pb::UnikernelTemplate& tmpl) {
  std::vector<ArtifactReference> out;
  const std::string image = "spec.template.image";
  if (tmpl.image().has_source()) {
    AddReference(tmpl.image().source(), ChildPath(image, "source"), out);
  }
  for (int i = 0; i < tmpl.image().files_size(); ++i) {
    if (tmpl.image().files(i).has_source()) {
      AddReference(tmpl.image().files(i).source(),
                   ChildPath(IndexPath(ChildPath(image, "files"), i), "source"), out);
    }
  }
  for (int i = 0; i < tmpl.image().packages_size(); ++i) {
    AddReference(tmpl.image().packages(i).source(),
                 ChildPath(IndexPath(ChildPath(image, "packages"), i), "source"), out);
  }
  return out;
}

std::set<std::string> ReferencedDigests(const pb::UnikernelTemplate& tmpl) {
  std::set<std::string> out;
  for (const pb::Source* source : Sources(tmpl)) {
    if (!source->sha256().empty()) {
      out.insert(source->sha256());
    }
  }
  return out;
}

absl::StatusOr<LabelSelector> ParseLabelSelector(std::string_view text) {
  LabelSelector out;
  for (std::string_view term : StrSplit(text, ',')) {
    while (!term.empty() && term.front() == ' ') {
      term.remove_prefix(1);
    }
    while (!term.empty() && term.back() == ' ') {
      term.remove_suffix(1);
    }
    if (term.empty()) {
      continue;
    }
    absl::StatusOr<LabelRequirement> requirement = ParseRequirement(term);
    if (!requirement.ok()) {
      return requirement.status();
    }
    out.push_back(*std::move(requirement));
  }
  return out;
}

bool Matches(const LabelSelector& selector, const ports::Labels& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const LabelRequirement& r) {
    auto it = labels.find(r.key);
    switch (r.op) {
      case LabelRequirement::Op::kEquals:
        return it != labels.end() && it->second == r.value;
      case LabelRequirement::Op::kNotEquals:
        return it == labels.end() || it->second != r.value;
      case LabelRequirement::Op::kExists:
        return it != labels.end();
      case LabelRequirement::Op::kNotExists:
        return it == labels.end();
    }
    return false;
  });
}

ports::ObjectKey KeyOf(std::string_view ns, std::string_view name) {
  return {.ns = ns.empty() ? "default" : std::string(ns), .name = std::string(name)};
}

}  // namespace nanoplane::controller::application
