// `nanoplane image ls|cat|manifest` and `nanoplane pkg from-host`.

#include <iostream>

#include "agent/image/builder/package.h"
#include "agent/image/disk/bootable_disk.h"
#include "agent/image/tfs/tfs_reader.h"
#include "agent/image/tfs/tuple_text.h"
#include "cli/build_command.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

struct ImageFlags {
  std::string image;
  std::string path = "/";
  bool boot = false;
};

absl::StatusOr<std::unique_ptr<image::TfsReader>> OpenImage(const ImageFlags& flags) {
  auto partition = image::ReadPartition(flags.image, flags.boot ? 0 : 1);
  if (!partition.ok()) {
    return partition.status();
  }
  return image::TfsReader::OpenFile(flags.image, partition->offset, partition->size);
}

void Check(const absl::Status& status) {
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    throw CLI::RuntimeError(1);
  }
}

void RunLs(const ImageFlags& flags) {
  auto fs = OpenImage(flags);
  Check(fs.status());
  auto type = (*fs)->Type(flags.path);
  Check(type.status());
  auto entries = (*fs)->List(flags.path);
  Check(entries.status());
  for (const image::TfsDirEntry& entry : *entries) {
    std::string child = flags.path == "/" ? "/" + entry.name : flags.path + "/" + entry.name;
    switch (entry.type) {
      case image::TfsEntryType::kDirectory:
        std::printf("d %12s  %s/\n", "", entry.name.c_str());
        break;
      case image::TfsEntryType::kSymlink: {
        auto target = (*fs)->ReadLink(child);
        std::printf("l %12s  %s -> %s\n", "", entry.name.c_str(),
                    target.ok() ? target->c_str() : "?");
        break;
      }
      default:
        std::printf("- %12llu  %s\n", static_cast<unsigned long long>(entry.size),
                    entry.name.c_str());
    }
  }
}

void RunCat(const ImageFlags& flags) {
  auto fs = OpenImage(flags);
  Check(fs.status());
  auto content = (*fs)->ReadFile(flags.path);
  Check(content.status());
  std::cout.write(content->data(), static_cast<std::streamsize>(content->size()));
}

void RunManifest(const ImageFlags& flags) {
  auto fs = OpenImage(flags);
  Check(fs.status());
  image::Tuple root = (*fs)->root();
  root.Erase("children");
  std::cout << image::FormatTuple(root) << "\n";
}

}  // namespace

void RegisterImageCommands(CLI::App& app) {
  auto flags = std::make_shared<ImageFlags>();
  auto* image = app.add_subcommand("image", "Read a Nanos image's filesystems");
  image->require_subcommand(1);
  auto* ls = image->add_subcommand("ls", "List a directory of an image");
  ls->add_option("image", flags->image, "The image")->required();
  ls->add_option("path", flags->path, "A directory in the image")->capture_default_str();
  ls->add_flag("--boot", flags->boot, "Read the boot filesystem (kernel, klibs)");
  ls->callback([flags] { RunLs(*flags); });
  auto* cat = image->add_subcommand("cat", "Print a file of an image");
  cat->add_option("image", flags->image, "The image")->required();
  cat->add_option("path", flags->path, "A file in the image")->required();
  cat->add_flag("--boot", flags->boot, "Read the boot filesystem (kernel, klibs)");
  cat->callback([flags] { RunCat(*flags); });
  auto* manifest = image->add_subcommand("manifest", "Print an image's manifest (its root tuple)");
  manifest->add_option("image", flags->image, "The image")->required();
  manifest->callback([flags] { RunManifest(*flags); });
}

void RegisterPkgCommands(CLI::App& app) {
  auto options = std::make_shared<image::FromHostOptions>();
  auto out = std::make_shared<std::string>(".");
  auto* pkg = app.add_subcommand("pkg", "Make packages for interpreted languages");
  pkg->require_subcommand(1);
  auto* from_host = pkg->add_subcommand(
      "from-host", "Package an interpreter installed on this host: its binary, libraries and dirs");
  from_host->add_option("program", options->program, "e.g. /usr/bin/python3")->required();
  from_host->add_option("--dir", options->dirs,
                        "A directory it needs, e.g. /usr/lib/python3.11 (repeat)");
  from_host->add_option("--name", options->name, "Package name (default: the program's name)");
  from_host->add_option("--version", options->version, "Package version (default: host)");
  from_host->add_option("-o,--output", *out, "Where to write <name>_<version>/")
      ->capture_default_str();
  from_host->callback([options, out] {
    auto dir = image::PackageFromHost(*options, *out);
    Check(dir.status());
    std::cout << *dir << "\n";
  });
}

}  // namespace nanoplane::cli
