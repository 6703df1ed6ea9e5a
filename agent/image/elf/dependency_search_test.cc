// The library search order, on small programs built by the test: RPATH and
// RUNPATH with $ORIGIN, LD_LIBRARY_PATH, skipped candidates of another
// machine, a fixture root, and missing libraries. ldd, run on these
// binaries we built ourselves, is the oracle wherever it applies.

#include <filesystem>
#include <string>

#include "agent/image/elf/dependency_walk.h"
#include "agent/image/elf/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;
using ::nanoplane::image::testing::BuildC;
using ::nanoplane::image::testing::HaveTool;
using ::nanoplane::image::testing::LddRealPaths;
using ::nanoplane::image::testing::ReadFileOrDie;
using ::nanoplane::image::testing::RunShell;
using ::nanoplane::image::testing::ShellQuote;
using ::nanoplane::image::testing::TempDir;
using ::nanoplane::image::testing::WriteFileOrDie;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kMain[] = "int foo(void);\nint main(void) { return foo() == 42 ? 0 : 1; }\n";

std::set<std::string> LoadedRealPaths(const DependencyClosure& closure) {
  std::set<std::string> paths;
  for (const LoadedObject& object : closure.objects) {
    if (object.role != ObjectRole::kProgram) {
      paths.insert(object.real_path);
    }
  }
  return paths;
}

const LoadedObject* FindObject(const DependencyClosure& closure, const std::string& name) {
  for (const LoadedObject& object : closure.objects) {
    if (object.name == name) {
      return &object;
    }
  }
  return nullptr;
}

// dir/lib/libbar.so; dir/lib/libfoo.so.1.2.3 (SONAME libfoo.so.1, needs
// libbar.so) behind the link libfoo.so.1; programs that need libfoo.so.1 by
// DT_RPATH $ORIGIN/lib, by DT_RUNPATH $ORIGIN/lib, and with no path at all.
class DependencySearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("cc")) {
      GTEST_SKIP() << "no cc on PATH";
    }
    dir_ = fs::canonical(tmp_.path()).string();
    lib_ = dir_ + "/lib";
    fs::create_directories(lib_);
    Sh("cd lib && printf 'int bar(void) { return 41; }\\n' > bar.c && "
       "cc -shared -fPIC -Wl,-soname,libbar.so -o libbar.so bar.c");
    Sh("cd lib && printf 'int bar(void);\\nint foo(void) { return bar() + 1; }\\n' > foo.c && "
       "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o libfoo.so.1.2.3 foo.c libbar.so && "
       "ln -s libfoo.so.1.2.3 libfoo.so.1");
    std::string link = "lib/libfoo.so.1.2.3 -Wl,-rpath-link," + lib_;
    rpath_ = Build("prog_rpath", link + " -Wl,--disable-new-dtags,-rpath,'$ORIGIN/lib'");
    runpath_ = Build("prog_runpath", link + " -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'");
    plain_ = Build("prog_plain", link);
  }

  void Sh(const std::string& command) {
    auto result = RunShell("cd " + ShellQuote(dir_) + " && " + command);
    ASSERT_EQ(result.exit_code, 0) << command << "\n" << result.output;
  }

  std::string Build(const std::string& name, const std::string& flags) {
    absl::StatusOr<std::string> path = BuildC(dir_, name, kMain, flags);
    EXPECT_TRUE(path.ok()) << path.status();
    return path.value_or("");
  }

  // A copy of lib/ in dir/<name>, optionally marked as aarch64.
  std::string CopyLib(const std::string& name, bool foreign) {
    std::string copy = dir_ + "/" + name;
    Sh("cp -a lib " + ShellQuote(name));
    if (foreign) {
      std::string bytes = ReadFileOrDie(copy + "/libfoo.so.1.2.3");
      bytes[18] = static_cast<char>(183);
      WriteFileOrDie(copy + "/libfoo.so.1.2.3", bytes);
    }
    return copy;
  }

  TempDir tmp_;
  std::string dir_, lib_, rpath_, runpath_, plain_;
};

TEST_F(DependencySearchTest, OriginRpathFindsLibrariesAndKeepsTheSonameLink) {
  absl::StatusOr<DependencyClosure> closure = WalkDependencies(rpath_, WalkOptions{});
  ASSERT_TRUE(closure.ok()) << closure.status();
  EXPECT_EQ(closure->objects[0].elf.rpath, "$ORIGIN/lib");
  const LoadedObject* foo = FindObject(*closure, "libfoo.so.1");
  ASSERT_NE(foo, nullptr);
  EXPECT_EQ(foo->path, lib_ + "/libfoo.so.1");
  EXPECT_EQ(foo->real_path, lib_ + "/libfoo.so.1.2.3");
  EXPECT_EQ(foo->needed_by, rpath_);
  EXPECT_THAT(closure->entries, Contains(ImageEntry{.kind = ImageEntry::Kind::kSymlink,
                                                    .image_path = lib_ + "/libfoo.so.1",
                                                    .link_target = "libfoo.so.1.2.3"}));
  // libfoo has no path of its own: libbar comes from the program's RPATH.
  const LoadedObject* bar = FindObject(*closure, "libbar.so");
  ASSERT_NE(bar, nullptr);
  EXPECT_EQ(bar->real_path, lib_ + "/libbar.so");
  EXPECT_EQ(LoadedRealPaths(*closure), LddRealPaths(rpath_));
}

TEST_F(DependencySearchTest, RunpathDoesNotReachIndirectDependencies) {
  absl::StatusOr<DependencyClosure> closure = WalkDependencies(runpath_, WalkOptions{});
  ASSERT_EQ(closure.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(closure.status().ToString(),
              HasSubstr("libbar.so needed by " + lib_ + "/libfoo.so.1: not found in"));
  EXPECT_EQ(LddRealPaths(runpath_), std::nullopt);  // ld.so agrees
}

TEST_F(DependencySearchTest, RpathBeatsLdLibraryPathWhichBeatsRunpath) {
  std::string alt = CopyLib("alt", false);
  WalkOptions options{.ld_library_path = alt};
  std::string env = "LD_LIBRARY_PATH=" + ShellQuote(alt);

  absl::StatusOr<DependencyClosure> rpath = WalkDependencies(rpath_, options);
  ASSERT_TRUE(rpath.ok()) << rpath.status();
  EXPECT_EQ(FindObject(*rpath, "libfoo.so.1")->real_path, lib_ + "/libfoo.so.1.2.3");
  EXPECT_EQ(LoadedRealPaths(*rpath), LddRealPaths(rpath_, env));

  absl::StatusOr<DependencyClosure> runpath = WalkDependencies(runpath_, options);
  ASSERT_TRUE(runpath.ok()) << runpath.status();
  EXPECT_EQ(FindObject(*runpath, "libfoo.so.1")->real_path, alt + "/libfoo.so.1.2.3");
  EXPECT_EQ(FindObject(*runpath, "libbar.so")->real_path, alt + "/libbar.so");
  EXPECT_EQ(LoadedRealPaths(*runpath), LddRealPaths(runpath_, env));
}

TEST_F(DependencySearchTest, SkipsLibraryOfAnotherMachineAndKeepsSearching) {
  std::string foreign = CopyLib("foreign", true);
  std::string search = foreign + ":" + lib_;
  absl::StatusOr<DependencyClosure> closure =
      WalkDependencies(plain_, WalkOptions{.ld_library_path = search});
  ASSERT_TRUE(closure.ok()) << closure.status();
  EXPECT_EQ(FindObject(*closure, "libfoo.so.1")->real_path, lib_ + "/libfoo.so.1.2.3");
  EXPECT_EQ(LoadedRealPaths(*closure),
            LddRealPaths(plain_, "LD_LIBRARY_PATH=" + ShellQuote(search)));

  absl::StatusOr<DependencyClosure> only_foreign =
      WalkDependencies(plain_, WalkOptions{.ld_library_path = foreign});
  EXPECT_THAT(only_foreign.status().ToString(),
              HasSubstr("skipped " + foreign + "/libfoo.so.1 (not x86-64)"));
}

TEST_F(DependencySearchTest, MissingLibraryNamesItAndWhoNeedsIt) {
  fs::remove(lib_ + "/libfoo.so.1");
  absl::StatusOr<DependencyClosure> closure = WalkDependencies(rpath_, WalkOptions{});
  ASSERT_EQ(closure.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(closure.status().ToString(),
              HasSubstr("libfoo.so.1 needed by " + rpath_ + ": not found in RPATH of " + rpath_ +
                        " [" + lib_ + "]"));
  EXPECT_THAT(closure.status().ToString(), HasSubstr("default dirs [/lib/x86_64-linux-gnu"));
}

// A merged-/usr fixture root with its own loader and libc, no ld.so.cache,
// and absolute symlinks that must resolve inside the root.
TEST_F(DependencySearchTest, WalksAFixtureRoot) {
  std::string root = dir_ + "/root";
  std::string multiarch = root + "/usr/lib/x86_64-linux-gnu";
  fs::create_directories(multiarch);
  fs::create_directories(root + "/usr/bin");
  fs::create_directories(root + "/usr/lib64");
  fs::copy_file(plain_, root + "/usr/bin/app");
  for (const char* name : {"libfoo.so.1.2.3", "libbar.so"}) {
    fs::copy_file(lib_ + "/" + name, multiarch + "/" + name);
  }
  fs::create_symlink("libfoo.so.1.2.3", multiarch + "/libfoo.so.1");
  fs::copy_file(fs::canonical("/lib/x86_64-linux-gnu/libc.so.6"), multiarch + "/libc.so.6");
  fs::copy_file(fs::canonical("/lib64/ld-linux-x86-64.so.2"), multiarch + "/ld-linux-x86-64.so.2");
  fs::create_symlink("usr/lib", root + "/lib");
  fs::create_symlink("/usr/lib64", root + "/lib64");
  fs::create_symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                     root + "/usr/lib64/ld-linux-x86-64.so.2");

  absl::StatusOr<DependencyClosure> closure =
      WalkDependencies("/usr/bin/app", WalkOptions{.root = root});
  ASSERT_TRUE(closure.ok()) << closure.status();
  std::vector<std::string> real_paths;
  for (const LoadedObject& object : closure->objects) {
    real_paths.push_back(object.real_path);
  }
  // Breadth-first: the program's needs, then libfoo's.
  const std::string m = "/usr/lib/x86_64-linux-gnu/";
  EXPECT_EQ(real_paths,
            (std::vector<std::string>{"/usr/bin/app", m + "ld-linux-x86-64.so.2",
                                      m + "libfoo.so.1.2.3", m + "libc.so.6", m + "libbar.so"}));
  using Kind = ImageEntry::Kind;
  EXPECT_EQ(closure->entries,
            (std::vector<ImageEntry>{
                {Kind::kFile, "/usr/bin/app", root + "/usr/bin/app", ""},
                {Kind::kSymlink, "/lib64", "", "/usr/lib64"},
                {Kind::kSymlink, "/usr/lib64/ld-linux-x86-64.so.2", "",
                 "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
                {Kind::kSymlink, "/lib", "", "usr/lib"},
                {Kind::kFile, m + "ld-linux-x86-64.so.2", root + m + "ld-linux-x86-64.so.2", ""},
                {Kind::kSymlink, m + "libfoo.so.1", "", "libfoo.so.1.2.3"},
                {Kind::kFile, m + "libfoo.so.1.2.3", root + m + "libfoo.so.1.2.3", ""},
                {Kind::kFile, m + "libc.so.6", root + m + "libc.so.6", ""},
                {Kind::kFile, m + "libbar.so", root + m + "libbar.so", ""},
            }));

  fs::remove(multiarch + "/ld-linux-x86-64.so.2");
  EXPECT_THAT(WalkDependencies("/usr/bin/app", WalkOptions{.root = root}).status().ToString(),
              HasSubstr("interpreter /lib64/ld-linux-x86-64.so.2 needed by /usr/bin/app: "
                        "not found"));
}

}  // namespace
}  // namespace nanoplane::image
