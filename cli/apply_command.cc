// `nanoplane apply -f FILE|DIR`.

#include <filesystem>
#include <fstream>

#include "cli/controller_commands.h"
#include "common/local_sources.h"
#include "common/manifest_reader.h"
#include "common/sha256.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;
namespace pb = ::nanoplane::v1alpha1;

constexpr size_t kUploadChunk = 1 << 20;

grpc::Status Upload(const CommandContext& context, const std::string& file,
                    const std::string& digest) {
  apiv1::StatArtifactRequest stat;
  stat.set_sha256(digest);
  apiv1::StatArtifactResponse present;
  grpc::Status status = context.stub.StatArtifact(UnaryContext(context).get(), stat, &present);
  if (!status.ok() || present.present()) {
    return status;
  }
  grpc::ClientContext client;
  apiv1::UploadArtifactResponse response;
  auto writer = context.stub.UploadArtifact(&client, &response);
  std::ifstream in(file, std::ios::binary);
  apiv1::UploadArtifactRequest chunk;
  chunk.set_sha256(digest);
  std::string buffer(kUploadChunk, '\0');
  do {
    in.read(buffer.data(), buffer.size());
    chunk.set_data(buffer.substr(0, in.gcount()));
    if (!writer->Write(chunk)) {
      break;
    }
    chunk.clear_sha256();
  } while (in);
  writer->WritesDone();
  return writer->Finish();
}

const char* ActionName(apiv1::ApplyAction action) {
  switch (action) {
    case apiv1::CREATED:
      return "created";
    case apiv1::CONFIGURED:
      return "configured";
    default:
      return "unchanged";
  }
}

// Rewrites every local file source to its digest, uploading what the
// controller lacks.
int UploadSources(const CommandContext& context, std::vector<LocalSource>& sources) {
  std::vector<LocalDigest> digests = DigestLocalSources(sources);
  bool failed = false;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (!digests[i].error.empty()) {
      context.err << "error: " << sources[i].where << ": " << digests[i].error << "\n";
      failed = true;
    }
  }
  if (failed) {
    return 1;
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    if (digests[i].sha256.empty()) {
      continue;
    }
    if (grpc::Status status = Upload(context, sources[i].file, digests[i].sha256); !status.ok()) {
      context.err << "error: upload " << sources[i].file << ": " << status.error_message() << "\n";
      return 1;
    }
    sources[i].source->Clear();
    sources[i].source->set_sha256(digests[i].sha256);
  }
  return 0;
}

}  // namespace

int RunApply(const CommandContext& context, const std::vector<std::string>& paths,
             const std::optional<std::string>& ns) {
  ManifestSet set = ReadManifests(paths);
  for (const ManifestError& error : set.errors) {
    context.err << "error: " << error.ToString() << "\n";
  }
  if (!set.ok()) {
    context.err << "nothing applied: " << set.errors.size()
                << (set.errors.size() == 1 ? " error" : " errors") << "\n";
    return 1;
  }
  std::vector<LocalSource> sources;
  for (ManifestDocument& doc : set.documents) {
    std::vector<LocalSource> found = LocalSources(doc, fs::absolute(doc.source).parent_path());
    sources.insert(sources.end(), found.begin(), found.end());
  }
  if (UploadSources(context, sources) != 0) {
    context.err << "nothing applied\n";
    return 1;
  }
  apiv1::ApplyRequest request;
  for (const ManifestDocument& doc : set.documents) {
    pb::Unikernel& object = *request.add_objects() = ForApply(doc);
    if (ns.has_value() && object.metadata().namespace_() == "default") {
      object.mutable_metadata()->set_namespace_(*ns);
    }
  }
  apiv1::ApplyResponse response;
  grpc::Status status = context.stub.Apply(UnaryContext(context).get(), request, &response);
  if (!status.ok()) {
    return Fail(context, status);
  }
  for (const apiv1::ApplyResult& result : response.results()) {
    context.out << "unikernel.nanoplane.dev/" << result.name() << " " << ActionName(result.action())
                << "\n";
  }
  return 0;
}

}  // namespace nanoplane::cli
