#include "controller/ports/artifact_store.h"

#include <fstream>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller::ports {

absl::StatusOr<int64_t> PutStream(ArtifactStore& store, const std::string& digest,
                                  std::istream& in) {
  NP_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, store.StartPut(digest));
  std::string buffer(1 << 16, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got > 0) {
      NP_RETURN_IF_ERROR(writer->Append(std::string_view(buffer.data(), got)));
    }
  }
  if (in.bad()) {
    writer->Abort();
    return absl::InternalError(StrCat("upload ", digest, ": read error"));
  }
  return writer->Commit();
}

absl::StatusOr<int64_t> PutFile(ArtifactStore& store, const std::string& digest,
                                const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(StrCat("upload ", digest, ": cannot open ", path));
  }
  return PutStream(store, digest, in);
}

}  // namespace nanoplane::controller::ports
