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
  std::string program;
  std::string manifest_file;
  std::vector<std::string> args, env, files, dirs, packages, klibs;
  std::string output;
  std::string nanos_version = "0.1.54";
  bool print_manifest = false;
  bool ssl_certs = false;
  ImageToolOptions tools;
};

int Fail(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

absl::StatusOr<image::BuildRequest> RequestFromFlags(const BuildFlags& flags,
                                                     const std::string& package_cache) {
  image::BuildRequest request;
  fs::path program(flags.program);
  // An absolute program keeps its path in the image; ./hello becomes /hello.
  request.program = program.is_absolute() ? program.string() : "/" + program.filename().string();
  // An absolute program may come from a package; else it is read from the host.
  request.program_source = program.is_absolute() && !flags.packages.empty() ? "" : program.string();
  request.args = flags.args;
  for (const std::string& pair : flags.env) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(StrCat("-e \"", pair, "\": expected NAME=VALUE"));
    }
    request.env.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  for (const std::string& spec : flags.files) {
    size_t colon = spec.find(':');
    std::string source = spec.substr(0, colon);
    std::string dest = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (dest.empty()) {
      dest = fs::path(source).is_absolute() ? source : "/" + fs::path(source).filename().string();
    }
    request.files.push_back({dest, source, ""});
  }
  for (const std::string& dir : flags.dirs) {
    if (fs::path(dir).is_absolute()) {
      request.dirs.push_back(dir);
    } else {
      request.map_dirs.push_back({dir, "/" + fs::path(dir).lexically_normal().string()});
    }
  }
  for (const std::string& package : flags.packages) {
    NP_ASSIGN_OR_RETURN(std::string dir, image::PackageDir(package, package_cache));
    request.packages.push_back(dir);
  }
  request.nanos_version = flags.nanos_version;
  request.klibs = flags.klibs;
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
  auto request = flags.manifest_file.empty() ? RequestFromFlags(flags, cache + "/packages")
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
  build->add_option("program", flags->program,
                    "The program (an ELF); absolute paths keep their path in the image");
  build->add_option("-f", flags->manifest_file, "Build the image of a Unikernel manifest instead");
  build->add_option("-a,--arg", flags->args, "An argument after argv0 (repeat)");
  build->add_option("-e,--env", flags->env, "NAME=VALUE in the environment (repeat)");
  build->add_option("--file", flags->files, "SRC[:DST]: a host file placed at DST (repeat)");
  build->add_option("-d,--dir", flags->dirs, "A host directory copied into the image (repeat)");
  build->add_option("--pkg", flags->packages, "An ops package: a directory or tarball (repeat)");
  build->add_option("--klib", flags->klibs, "A Nanos klib to load (repeat)");
  build->add_option("--nanos-version", flags->nanos_version, "Nanos release version")
      ->capture_default_str();
  build->add_option("-o,--output", flags->output, "Also copy the image here");
  build->add_flag("--print-manifest", flags->print_manifest,
                  "Print the manifest instead of building");
  build->add_flag("--ssl-certs", flags->ssl_certs, "Add the host's CA certificates");
  AddImageToolFlags(*build, flags->tools);
  build->callback([flags] {
    if (flags->program.empty() == flags->manifest_file.empty()) {
      throw CLI::ValidationError("build", "give a PROGRAM or -f MANIFEST (one of them)");
    }
    int code = RunBuild(*flags);
    if (code != 0) {
      throw CLI::RuntimeError(code);
    }
  });
}

}  // namespace nanoplane::cli
