#include "agent/app/nanos_image_source.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/image/builder/package.h"
#include "agent/image/builder/spec_request.h"
#include "agent/image/release/downloader.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent::app {
namespace {

namespace fs = std::filesystem;

bool HasDigest(const std::string& path, const std::string& sha256) {
  absl::StatusOr<std::string> digest = Sha256OfFile(path);
  return digest.ok() && *digest == sha256;
}

// Fetches into a temporary name and renames once verified, so a concurrent
// build or a crash never sees half a file under the digest's name.
absl::StatusOr<std::string> FetchVerified(
    const std::string& dir, const std::string& sha256, const std::string& field,
    const std::function<absl::Status(const std::string&)>& fetch) {
  const std::string target = StrCat(dir, "/", sha256);
  if (HasDigest(target, sha256)) {
    return target;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string temp = StrCat(target, ".part.", ::getpid(), ".",
                                  std::hash<std::thread::id>()(std::this_thread::get_id()));
  absl::Status status = fetch(temp);
  if (status.ok() && !HasDigest(temp, sha256)) {
    status = absl::InvalidArgumentError(StrCat(field, ": content does not match sha256 ", sha256));
  }
  if (status.ok()) {
    fs::rename(temp, target, ec);
    if (ec) {
      status = absl::InternalError(StrCat("rename ", temp, ": ", ec.message()));
    }
  }
  if (!status.ok()) {
    fs::remove(temp, ec);
    return Annotate(status, field);
  }
  return target;
}

}  // namespace

image::SourceResolver MakeSourceResolver(ControllerLink* link, const NanosImageOptions& options) {
  return [link, options](const v1alpha1::Source& source,
                         const std::string& field) -> absl::StatusOr<std::string> {
    if (!source.path().empty()) {
      if (!options.allow_local_paths) {
        return absl::FailedPreconditionError(
            StrCat(field, ".path: ", source.path(),
                   " is a path on the machine that applied the manifest; the CLI uploads it"));
      }
      std::error_code ec;
      if (!fs::exists(source.path(), ec)) {
        return absl::InvalidArgumentError(
            StrCat(field, ".path: ", source.path(), " does not exist"));
      }
      return source.path();
    }
    if (source.sha256().empty()) {
      return absl::InvalidArgumentError(StrCat(field, ": a source needs a path or a sha256"));
    }
    if (!source.url().empty()) {
      return FetchVerified(options.artifact_dir, source.sha256(), field,
                           [&](const std::string& to) {
                             image::HttpDownloader downloader;
                             return downloader.Download(source.url(), to);
                           });
    }
    if (const std::string cached = StrCat(options.artifact_dir, "/", source.sha256());
        HasDigest(cached, source.sha256())) {
      return cached;
    }
    if (link == nullptr) {
      return absl::FailedPreconditionError(
          StrCat(field, ": artifact ", source.sha256(), " needs a controller"));
    }
    return FetchVerified(options.artifact_dir, source.sha256(), field, [&](const std::string& to) {
      return link->FetchArtifact(source.sha256(), to);
    });
  };
}

ImageBuildFn MakeNanosImageBuild(image::ImageBuilder& builder, image::ImageCache& cache,
                                 ControllerLink* link, NanosImageOptions options) {
  // The keys this function pinned in the cache, shared by its copies.
  struct Pinned {
    absl::Mutex mu;
    std::set<std::string> keys ABSL_GUARDED_BY(mu);
  };
  auto pinned = std::make_shared<Pinned>();
  image::SourceResolver resolve = MakeSourceResolver(link, options);
  return [&builder, &cache, pinned, resolve,
          options](const v1::InstanceAssignment& instance) -> absl::StatusOr<AgentImage> {
    NP_ASSIGN_OR_RETURN(image::BuildRequest request,
                        image::BuildRequestFromSpec(
                            instance.template_().image(), resolve, [&](const std::string& path) {
                              return image::PackageDir(path, options.package_dir);
                            }));
    request.manifest.Set("debug_exit", image::Value("t"));
    NP_ASSIGN_OR_RETURN(image::BuiltImage built, builder.Build(request));
    {
      absl::MutexLock lock(&pinned->mu);
      if (pinned->keys.insert(built.key).second) {
        cache.Pin(built.key);
      }
    }
    AgentImage out{.key = built.key, .disk = built.path, .boot = BiosBoot{}};
    if (options.direct_boot) {
      out.boot = KernelBoot{.kernel_path = built.release.kernel().string()};
    }
    return out;
  };
}

}  // namespace nanoplane::agent::app
