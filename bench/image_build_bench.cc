// Benchmark: building images, cold and cached, for a static hello and a Python
// image (the host's python3 packaged with its standard library). When
// NANOS_MKFS names Nanos's mkfs, it is timed on the same manifest in the same
// run and the ratio printed. Uses NANOS_RELEASE_DIR, or a stand-in release
// (the build does not look inside kernel.img).
//
//   build/bench/image_build_bench [--runs N]

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "agent/image/builder/image_builder.h"
#include "agent/image/builder/image_plan.h"
#include "agent/image/builder/package.h"
#include "agent/image/disk/fake_release.h"

namespace {

namespace fs = std::filesystem;
using namespace nanoplane::image;

double Millis(const std::function<void()>& work) {
  auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void Die(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
  std::exit(1);
}

// Nanos's mkfs on the same manifest: inline contents become files for it.
double TimeMkfs(const std::string& mkfs, const NanosRelease& release, const BuildRequest& request,
                const fs::path& work) {
  auto plan = PlanImage(request, release);
  if (!plan.ok()) {
    Die(plan.status());
  }
  for (auto& [path, entry] : plan->root) {
    if (entry.kind == PlannedEntry::Kind::kFile && entry.host_path.empty()) {
      entry.host_path =
          (work / ("inline-" + std::to_string(std::hash<std::string>{}(path)))).string();
      std::ofstream(entry.host_path) << entry.content;
    }
  }
  fs::path manifest = work / "manifest";
  std::ofstream(manifest) << ManifestText(*plan) << "\n";
  std::string command = mkfs + " -b " + release.boot().string() + " -k " +
                        release.kernel().string() + " " + (work / "mkfs.img").string() + " < " +
                        manifest.string() + " > /dev/null";
  return Millis([&] {
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "mkfs failed: %s\n", command.c_str());
    }
  });
}

struct Row {
  std::string name;
  double cold_ms;
  double cached_ms;
  size_t files;
  uint64_t bytes;
  double mkfs_ms;
};

Row Measure(const std::string& name, const BuildRequest& request, ReleaseStore& releases,
            const fs::path& work, int runs) {
  std::vector<double> cold, cached;
  size_t files = 0;
  uint64_t bytes = 0;
  for (int run = 0; run < runs; ++run) {
    fs::path cache_dir = work / ("cache-" + name + "-" + std::to_string(run));
    ImageCache cache({.dir = cache_dir.string()});
    ImageBuilder builder(releases, cache);
    cold.push_back(Millis([&] {
      auto image = builder.Build(request);
      if (!image.ok()) {
        Die(image.status());
      }
      files = image->files;
      bytes = image->bytes;
    }));
    cached.push_back(Millis([&] {
      auto image = builder.Build(request);
      if (!image.ok() || !image->cache_hit) {
        Die(image.ok() ? absl::InternalError("expected a cache hit") : image.status());
      }
    }));
    fs::remove_all(cache_dir);
  }
  double mkfs_ms = 0;
  if (const char* mkfs = std::getenv("NANOS_MKFS"); mkfs != nullptr) {
    std::vector<double> times;
    auto release = releases.Get(request.nanos_version);
    for (int run = 0; run < runs; ++run) {
      times.push_back(TimeMkfs(mkfs, *release, request, work));
    }
    mkfs_ms = Median(times);
  }
  return {name, Median(cold), Median(cached), files, bytes, mkfs_ms};
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--runs") {
      runs = std::max(1, std::atoi(argv[i + 1]));
    }
  }
  fs::path work = fs::temp_directory_path() / ("nanoplane-bench-" + std::to_string(::getpid()));
  fs::create_directories(work);
  std::string release_dir;
  if (const char* env = std::getenv("NANOS_RELEASE_DIR"); env != nullptr) {
    release_dir = env;
  } else {
    release_dir = (work / "release").string();
    WriteFakeRelease(release_dir);
  }
  ReleaseStore releases({.release_dir = release_dir, .url_template = ""}, nullptr);

  // A static hello: busybox-static when installed, else any static binary we can find.
  std::string hello = fs::exists("/bin/busybox") ? "/bin/busybox" : "/usr/bin/true";
  BuildRequest static_request{.program = "/hello",
                              .program_source = hello,
                              .args = {"echo", "hi"},
                              .nanos_version = "0.1.54"};
  auto python = PackageFromHost({.program = "/usr/bin/python3", .dirs = {"/usr/lib/python3.11"}},
                                (work / "packages").string());
  if (!python.ok()) {
    Die(python.status());
  }
  BuildRequest python_request{.program = "/usr/bin/python3",
                              .args = {"-c", "print(1)"},
                              .packages = {*python},
                              .nanos_version = "0.1.54"};

  std::vector<Row> rows = {Measure("hello", static_request, releases, work, runs),
                           Measure("python", python_request, releases, work, runs)};
  std::printf("%-8s %7s %10s %12s %12s %10s %12s\n", "image", "files", "size", "cold ms",
              "cached ms", "mkfs ms", "mkfs/cold");
  for (const Row& row : rows) {
    std::printf("%-8s %7zu %9.1fM %12.2f %12.3f", row.name.c_str(), row.files,
                static_cast<double>(row.bytes) / (1 << 20), row.cold_ms, row.cached_ms);
    if (row.mkfs_ms > 0) {
      std::printf(" %10.2f %11.2fx\n", row.mkfs_ms, row.mkfs_ms / row.cold_ms);
    } else {
      std::printf(" %10s %12s\n", "-", "-");
    }
  }
  std::printf("(median of %d runs; NANOS_MKFS %s)\n", runs,
              std::getenv("NANOS_MKFS") ? "set" : "unset: no mkfs comparison");
  fs::remove_all(work);
  return 0;
}
