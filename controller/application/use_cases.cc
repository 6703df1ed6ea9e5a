#include "controller/application/use_cases.h"

#include <set>

#include "common/status.h"
#include "common/strings.h"
#include "controller/application/apply.h"
#include "google/protobuf/util/message_differencer.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

ports::ObjectKey KeyOfObject(const pb::Unikernel& object) {
  return KeyOf(object.metadata().namespace_(), object.metadata().name());
}

bool Deleting(const pb::Unikernel& object) {
  return !object.metadata().deletion_timestamp().empty();
}

}  // namespace

const char* ApplyActionName(ApplyAction action) {
  switch (action) {
    case ApplyAction::kCreated:
      return "created";
    case ApplyAction::kConfigured:
      return "configured";
    case ApplyAction::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

UseCases::UseCases(ports::Store& store, ports::ArtifactStore& artifacts, UseCaseOptions options)
    : store_(store), artifacts_(artifacts), options_(std::move(options)) {}

absl::StatusOr<pb::Unikernel> UseCases::Modify(const ports::ObjectKey& key,
                                               const Mutation& mutate) {
  absl::Status last;
  for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
    NP_ASSIGN_OR_RETURN(pb::Unikernel object, store_.Get(key));
    object.clear_status();
    NP_RETURN_IF_ERROR(mutate(object));
    absl::StatusOr<pb::Unikernel> updated = store_.Update(object);
    if (updated.status().code() != absl::StatusCode::kAborted) {
      return updated;
    }
    last = updated.status();
  }
  return last;
}

absl::Status UseCases::StoreBlob(const std::string& digest, std::string_view data) {
  NP_ASSIGN_OR_RETURN(std::unique_ptr<ports::BlobWriter> writer, artifacts_.StartPut(digest));
  NP_RETURN_IF_ERROR(writer->Append(data));
  NP_ASSIGN_OR_RETURN(int64_t size, writer->Commit());
  return store_.PutArtifact({.digest = digest, .size = size, .created_time = options_.now()});
}

absl::Status UseCases::CheckApply(const ApplyRequest& request,
                                  std::vector<pb::Unikernel>& prepared) {
  std::vector<std::string> messages;
  std::set<ports::ObjectKey> seen;
  for (const pb::Unikernel& in : request.objects) {
    pb::Unikernel object = PrepareApplied(in);
    FieldErrors errors = ValidateApplied(object);
    for (const ArtifactReference& ref : ArtifactReferences(object.spec().template_())) {
      NP_ASSIGN_OR_RETURN(bool present, artifacts_.Has(ref.digest));
      if (!present) {
        errors.push_back({ref.path, StrCat("no artifact ", ref.digest,
                                           " in the controller's artifact store; upload it")});
      }
    }
    ports::ObjectKey key = KeyOfObject(object);
    if (!seen.insert(key).second) {
      errors.push_back({"metadata.name", "is applied twice in one request"});
    }
    absl::StatusOr<pb::Unikernel> stored = store_.Get(key);
    if (stored.ok() && Deleting(*stored)) {
      errors.push_back({"metadata.deletionTimestamp",
                        "the object is being deleted; apply again once it is gone"});
    } else if (!stored.ok() && stored.status().code() != absl::StatusCode::kNotFound) {
      return stored.status();
    }
    if (!errors.empty()) {
      messages.push_back(FormatObjectErrors(object, errors));
    }
    prepared.push_back(std::move(object));
  }
  if (!messages.empty()) {
    return absl::InvalidArgumentError(StrJoin(messages, "\n"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ApplyResult> UseCases::ApplyOne(const pb::Unikernel& prepared,
                                               const pb::Unikernel& sent, bool dry_run) {
  ApplyResult result{.key = KeyOfObject(prepared)};
  absl::Status last;
  for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
    absl::StatusOr<pb::Unikernel> stored = store_.Get(result.key);
    absl::StatusOr<pb::Unikernel> written;
    if (stored.status().code() == absl::StatusCode::kNotFound) {
      result.action = ApplyAction::kCreated;
      written = dry_run ? PrepareCreate(prepared) : store_.Create(PrepareCreate(prepared));
    } else if (stored.ok()) {
      pb::Unikernel merged = MergeForApply(*stored, prepared, sent);
      stored->clear_status();
      // Equal objects skip the write (a GitOps resync applies everything);
      // otherwise the store decides: a write that changes nothing keeps the
      // resourceVersion.
      bool same = google::protobuf::util::MessageDifferencer::Equals(merged, *stored);
      written = dry_run || same ? merged : store_.Update(merged);
      bool changed =
          !same && (dry_run || (written.ok() && written->metadata().resource_version() !=
                                                    stored->metadata().resource_version()));
      result.action = changed ? ApplyAction::kConfigured : ApplyAction::kUnchanged;
    } else {
      return stored.status();
    }
    if (written.ok()) {
      result.generation = written->metadata().generation();
      result.object = *std::move(written);
      return result;
    }
    // Another writer got there first (create) or in between (update): read again.
    if (written.status().code() != absl::StatusCode::kAborted &&
        written.status().code() != absl::StatusCode::kAlreadyExists) {
      return written.status();
    }
    last = written.status();
  }
  return last;
}

// The blobs this Unikernel needs stay referenced while a revision (for undo)
// may still use them.
absl::Status UseCases::ReferenceArtifacts(const pb::Unikernel& object) {
  ports::ObjectKey key = KeyOfObject(object);
  std::set<std::string> digests = ReferencedDigests(object.spec().template_());
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> revisions, store_.ListRevisions(key));
  for (const ports::RevisionRecord& revision : revisions) {
    absl::StatusOr<pb::UnikernelTemplate> tmpl = TemplateOf(revision);
    if (tmpl.ok()) {
      digests.merge(ReferencedDigests(*tmpl));
    }
  }
  return store_.SetArtifactReferences(ports::ToString(key), digests);
}

absl::StatusOr<std::vector<ApplyResult>> UseCases::Apply(const ApplyRequest& request) {
  for (const InlineArtifact& artifact : request.artifacts) {
    NP_RETURN_IF_ERROR(
        Annotate(StoreBlob(artifact.sha256, artifact.data), StrCat("artifact ", artifact.sha256)));
  }
  std::vector<pb::Unikernel> prepared;
  NP_RETURN_IF_ERROR(CheckApply(request, prepared));
  std::vector<ApplyResult> results;
  for (size_t i = 0; i < prepared.size(); ++i) {
    const pb::Unikernel& object = prepared[i];
    absl::StatusOr<ApplyResult> result = ApplyOne(object, request.objects[i], request.dry_run);
    NP_RETURN_IF_ERROR(Annotate(result.status(), ports::ToString(KeyOfObject(object))));
    if (!request.dry_run) {
      NP_RETURN_IF_ERROR(ReferenceArtifacts(object));
    }
    results.push_back(*std::move(result));
  }
  return results;
}

absl::StatusOr<pb::Unikernel> UseCases::Get(const ports::ObjectKey& key) { return store_.Get(key); }

absl::StatusOr<ports::UnikernelList> UseCases::List(const ListQuery& query) {
  NP_ASSIGN_OR_RETURN(LabelSelector selector, ParseLabelSelector(query.label_selector));
  ports::ListOptions options;
  if (query.ns.has_value()) {
    options.ns = KeyOf(*query.ns, "").ns;
  }
  NP_ASSIGN_OR_RETURN(ports::UnikernelList list, store_.List(options));
  std::erase_if(list.items, [&](const pb::Unikernel& object) {
    const auto& labels = object.metadata().labels();
    return !Matches(selector, ports::Labels(labels.begin(), labels.end()));
  });
  return list;
}

absl::StatusOr<DeleteResult> UseCases::Delete(const ports::ObjectKey& key,
                                              const std::string& resource_version) {
  NP_ASSIGN_OR_RETURN(pb::Unikernel object,
                      store_.Delete(key, {.resource_version = resource_version}));
  // The object is gone unless a finalizer keeps it (the reconciler stops its
  // instances first).
  bool gone = absl::IsNotFound(store_.Get(key).status());
  return DeleteResult{.object = std::move(object), .gone = gone};
}

absl::StatusOr<pb::Unikernel> UseCases::Scale(const ports::ObjectKey& key, int32_t replicas) {
  return Modify(key, [&](pb::Unikernel& u) {
    u.mutable_spec()->set_replicas(replicas);
    FieldErrors errors;
    for (FieldError& error : ValidateApplied(u)) {
      if (error.path == "spec.replicas") {
        errors.push_back(std::move(error));
      }
    }
    return errors.empty() ? absl::OkStatus()
                          : absl::InvalidArgumentError(FormatObjectErrors(u, errors));
  });
}

absl::StatusOr<std::vector<ports::EventRecord>> UseCases::Events(const ports::EventFilter& filter) {
  ports::EventFilter normalized = filter;
  if (normalized.ns.has_value()) {
    normalized.ns = KeyOf(*normalized.ns, "").ns;
  }
  return store_.ListEvents(normalized);
}

absl::StatusOr<std::optional<int64_t>> UseCases::StatArtifact(const std::string& sha256) {
  NP_ASSIGN_OR_RETURN(bool present, artifacts_.Has(sha256));
  if (!present) {
    return std::nullopt;
  }
  absl::StatusOr<int64_t> size = artifacts_.Size(sha256);
  return size.ok() ? *size : 0;
}

absl::StatusOr<int64_t> UseCases::UploadArtifact(const std::string& sha256,
                                                 const ChunkReader& next_chunk) {
  NP_ASSIGN_OR_RETURN(std::unique_ptr<ports::BlobWriter> blob, artifacts_.StartPut(sha256));
  std::string chunk;
  while (next_chunk(chunk)) {
    NP_RETURN_IF_ERROR(blob->Append(chunk));
  }
  NP_ASSIGN_OR_RETURN(int64_t size, blob->Commit());
  NP_RETURN_IF_ERROR(
      store_.PutArtifact({.digest = sha256, .size = size, .created_time = options_.now()}));
  return size;
}

}  // namespace nanoplane::controller::application
