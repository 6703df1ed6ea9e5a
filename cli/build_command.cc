#include "cli/build_command.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "agent/image/builder/image_builder.h"
#include "agent/image/builder/package.h"
#include "cli/image_tools.h"
#include "common/manifest_reader.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;

struct BuildFlags {
  ImageContentFlags image;
  std::string manifest_file;
  std::string output;
  bool print_manifest = false;
  bool ssl_certs = false;
  ImageToolOptions tools;
};

int Fail(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

absl::StatusOr<image::BuildRequest> RequestFromBuildFlags(const BuildFlags& flags,
                                                          const std::string& package_cache) {
  NP_ASSIGN_OR_RETURN(image::BuildRequest request, RequestFromFlags(flags.image));
  for (const std::string& package : flags.image.packages) {
    NP_ASSIGN_OR_RETURN(std::string dir, image::PackageDir(package, package_cache));
    request.packages.push_back(dir);
  }
  request.ssl_certs = flags.ssl_certs;
  return request;
}

absl::StatusOr<image::BuildRequest> RequestFromManifest(const BuildFlags& flags,
                                                        const std::string& package_cache) {
  ManifestSet set = ReadManifests({flags.manifest_file});
  if (!set.ok()) {
    std::string message;
    for (const ManifestError& error : set.errors) {
      StrAppend(&message, message.empty() ? "" : "\n", error.ToString());
    }
    return absl::InvalidArgumentError(message);
  }
  if (set.documents.size() != 1) {
    return absl::InvalidArgumentError(StrCat(flags.manifest_file, ": holds ", set.documents.size(),
                                             " Unikernels; build takes one"));
  }
  const auto& spec = set.documents[0].unikernel.spec().template_().image();
  std::string base_dir = fs::absolute(flags.manifest_file).parent_path().string();
  return image::BuildRequestFromSpec(
      spec, LocalSourceResolver(base_dir, flags.tools),
      [&](const std::string& path) { return image::PackageDir(path, package_cache); });
}

int RunBuild(const BuildFlags& flags) {
  auto start = std::chrono::steady_clock::now();
  std::string cache = CacheDir(flags.tools);
  auto request = flags.manifest_file.empty() ? RequestFromBuildFlags(flags, cache + "/packages")
                                             : RequestFromManifest(flags, cache + "/packages");
  if (!request.ok()) {
    return Fail(request.status());
  }
  auto releases = MakeReleaseStore(flags.tools);
  if (!releases.ok()) {
    return Fail(releases.status());
  }
  image::ImageCache images({.dir = cache + "/images"});
  image::ImageBuilder builder(**releases, images);
  if (flags.print_manifest) {
    auto manifest = builder.Manifest(*request);
    if (!manifest.ok()) {
      return Fail(manifest.status());
    }
    std::cout << *manifest << "\n";
    return 0;
  }
  auto built = builder.Build(*request);
  if (!built.ok()) {
    return Fail(built.status());
  }
  std::string path = built->path;
  if (!flags.output.empty()) {
    if (absl::Status copied = CopySparse(built->path, flags.output); !copied.ok()) {
      return Fail(copied);
    }
    path = flags.output;
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu files, %s, Nanos %s, %s in %.1f ms\n", path.c_str(), built->files,
              HumanBytes(built->bytes).c_str(), built->release.version.c_str(),
              built->cache_hit ? "cached" : "built", ms);
  return 0;
}

}  // namespace

void RegisterBuildCommand(CLI::App& app) {
  auto flags = std::make_shared<BuildFlags>();
  auto* build =
      app.add_subcommand("build", "Make a bootable Nanos image of a program, like ops build");
  build->add_option("program", flags->image.program,
                    "The program (an ELF); absolute paths keep their path in the image");
  build->add_option("-f", flags->manifest_file, "Build the image of a Unikernel manifest instead");
  AddImageContentFlags(*build, flags->image);
  build->add_option("-o,--output", flags->output, "Also copy the image here");
  build->add_flag("--print-manifest", flags->print_manifest,
                  "Print the manifest instead of building");
  build->add_flag("--ssl-certs", flags->ssl_certs, "Add the host's CA certificates");
  AddImageToolFlags(*build, flags->tools);
  build->callback([flags] {
    if (flags->image.program.empty() == flags->manifest_file.empty()) {
      throw CLI::ValidationError("build", "give a PROGRAM or -f MANIFEST (one of them)");
    }
    int code = RunBuild(*flags);
    if (code != 0) {
      throw CLI::RuntimeError(code);
    }
  });
}

}  // namespace nanoplane::cli
