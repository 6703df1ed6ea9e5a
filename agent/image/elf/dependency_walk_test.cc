#include "agent/image/elf/dependency_walk.h"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/image/elf/test_support.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;
using ::nanoplane::image::testing::BuildC;
using ::nanoplane::image::testing::HaveTool;
using ::nanoplane::image::testing::LddRealPaths;
using ::nanoplane::image::testing::TempDir;
using ::testing::HasSubstr;

// Real paths of the objects the walk loads besides the program itself.
std::set<std::string> LoadedRealPaths(const DependencyClosure& closure) {
  std::set<std::string> paths;
  for (const LoadedObject& object : closure.objects) {
    if (object.role != ObjectRole::kProgram) {
      paths.insert(object.real_path);
    }
  }
  return paths;
}

// Follows `path` through the closure's symlink entries, as the image's
// filesystem will; returns the file entry's path or "" when it dangles.
std::string ResolveInImage(const DependencyClosure& closure, const std::string& path) {
  std::map<std::string, const ImageEntry*> by_path;
  for (const ImageEntry& entry : closure.entries) {
    by_path[entry.image_path] = &entry;
  }
  std::vector<std::string> pending;
  for (std::string_view part : StrSplit(path, '/')) {
    if (!part.empty()) {
      pending.insert(pending.begin(), std::string(part));
    }
  }
  std::string resolved;
  for (int hops = 0; !pending.empty() && hops < 100; ++hops) {
    std::string part = pending.back();
    pending.pop_back();
    if (part == "..") {
      resolved = resolved.substr(0, resolved.rfind('/'));
      continue;
    }
    std::string candidate = resolved + "/" + part;
    auto it = by_path.find(candidate);
    if (it != by_path.end() && it->second->kind == ImageEntry::Kind::kSymlink) {
      const std::string& target = it->second->link_target;
      if (target.starts_with('/')) {
        resolved.clear();
      }
      std::vector<std::string_view> parts = StrSplit(target, '/');
      for (auto rit = parts.rbegin(); rit != parts.rend(); ++rit) {
        if (!rit->empty()) {
          pending.emplace_back(*rit);
        }
      }
      continue;
    }
    resolved = candidate;
  }
  auto it = by_path.find(resolved);
  return it != by_path.end() && it->second->kind == ImageEntry::Kind::kFile ? resolved : "";
}

// Invariants every closure keeps: each object reachable in the image under
// the name it was found by, and each image path listed once.
void ExpectSelfConsistent(const DependencyClosure& closure) {
  std::set<std::string> paths;
  for (const ImageEntry& entry : closure.entries) {
    EXPECT_TRUE(paths.insert(entry.image_path).second) << "twice: " << entry.image_path;
  }
  std::set<std::string> real_paths;
  for (const LoadedObject& object : closure.objects) {
    EXPECT_TRUE(real_paths.insert(object.real_path).second) << "loaded twice: " << object.real_path;
    EXPECT_EQ(ResolveInImage(closure, object.path), object.real_path) << object.path;
  }
}

TEST(DependencyWalkTest, MatchesLddOnSystemBinaries) {
  int checked = 0;
  for (const char* program :
       {"/bin/ls", "/usr/bin/curl", "/usr/bin/python3", "/usr/bin/perl", "/usr/bin/node"}) {
    if (!fs::exists(program)) {
      continue;
    }
    SCOPED_TRACE(program);
    absl::StatusOr<DependencyClosure> closure = WalkDependencies(program, WalkOptions{});
    ASSERT_TRUE(closure.ok()) << closure.status();
    std::optional<std::set<std::string>> ldd = LddRealPaths(program);
    ASSERT_TRUE(ldd.has_value());
    EXPECT_EQ(LoadedRealPaths(*closure), *ldd);
    EXPECT_EQ(closure->objects[1].role, ObjectRole::kInterpreter);
    for (const ImageEntry& entry : closure->entries) {
      if (entry.kind == ImageEntry::Kind::kFile) {
        EXPECT_EQ(fs::canonical(entry.host_path).string(), entry.host_path);
      } else {
        EXPECT_EQ(fs::read_symlink(entry.image_path).string(), entry.link_target);
      }
    }
    ExpectSelfConsistent(*closure);
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

TEST(DependencyWalkTest, InterpreterKeepsItsSymlinks) {
  absl::StatusOr<DependencyClosure> closure = WalkDependencies("/bin/ls", WalkOptions{});
  ASSERT_TRUE(closure.ok()) << closure.status();
  const LoadedObject& interpreter = closure->objects[1];
  EXPECT_EQ(interpreter.path, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(interpreter.real_path, fs::canonical("/lib64/ld-linux-x86-64.so.2").string());
  // libc.so.6 needs ld-linux-x86-64.so.2 by soname: the loaded ld.so, not a second copy.
  int loaders = 0;
  for (const LoadedObject& object : closure->objects) {
    loaders += object.real_path == interpreter.real_path ? 1 : 0;
  }
  EXPECT_EQ(loaders, 1);
}

void ExpectOnlyTheProgram(const std::string& program) {
  absl::StatusOr<DependencyClosure> closure = WalkDependencies(program, WalkOptions{});
  ASSERT_TRUE(closure.ok()) << closure.status();
  ASSERT_EQ(closure->objects.size(), 1u);
  EXPECT_TRUE(closure->objects[0].elf.IsStatic());
  EXPECT_EQ(closure->entries.back().image_path, fs::canonical(program).string());
  ExpectSelfConsistent(*closure);
}

TEST(DependencyWalkTest, StaticProgramsNeedNothing) {
  if (fs::exists("/bin/busybox") && !ReadElfFile("/bin/busybox")->interpreter.has_value()) {
    ExpectOnlyTheProgram("/bin/busybox");
  }
  if (!HaveTool("cc")) {
    GTEST_SKIP() << "no cc on PATH";
  }
  TempDir dir;
  for (const char* flags : {"-static", "-static-pie"}) {
    absl::StatusOr<std::string> program = BuildC(dir.path(), "p", testing::kCHello, flags);
    ASSERT_TRUE(program.ok()) << program.status();
    ExpectOnlyTheProgram(*program);
  }
}

TEST(DependencyWalkTest, GoProgramNeedsNothing) {
  if (!HaveTool("go")) {
    GTEST_SKIP() << "go is not on PATH; skipping the Go binary test";
  }
  TempDir dir;
  absl::StatusOr<std::string> hello = testing::BuildGoHello(dir.path());
  ASSERT_TRUE(hello.ok()) << hello.status();
  ExpectOnlyTheProgram(*hello);
}

TEST(DependencyWalkTest, ProgramErrors) {
  absl::StatusOr<DependencyClosure> missing = WalkDependencies("/nonexistent/app", WalkOptions{});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().ToString(), HasSubstr("/nonexistent/app"));
  EXPECT_EQ(WalkDependencies("", WalkOptions{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  TempDir dir;
  testing::WriteFileOrDie(dir.path() + "/script", "#!/bin/sh\n");
  absl::StatusOr<DependencyClosure> script = WalkDependencies(dir.path() + "/script", {});
  EXPECT_EQ(script.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(script.status().ToString(), HasSubstr("not an ELF file"));
}

TEST(DependencyWalkTest, ExpandsDynamicStringTokens) {
  EXPECT_EQ(ExpandDynamicStringTokens("$ORIGIN/../$LIB:${PLATFORM}/x", "/opt/app"),
            "/opt/app/../lib/x86_64-linux-gnu:x86_64/x");
  EXPECT_EQ(ExpandDynamicStringTokens("${ORIGIN}$ORIGINAL$HOME$", "/o"), "/o$ORIGINAL$HOME$");
}

}  // namespace
}  // namespace nanoplane::image
