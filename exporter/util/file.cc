#include "exporter/util/file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace cdb_sync {

Expected<std::string> ReadSmallFile(const std::string& path,
                                    std::size_t max_bytes) {
  std::error_code error;
  const std::filesystem::file_status status =
      std::filesystem::status(path, error);
  if (error) return Error{"\"" + path + "\": " + error.message()};
  if (std::filesystem::is_directory(status)) {
    return Error{"\"" + path + "\" is a directory, not a file"};
  }
  if (!std::filesystem::is_regular_file(status)) {
    return Error{"\"" + path + "\" is not a regular file"};
  }
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return Error{"\"" + path + "\": " + error.message()};
  if (size > max_bytes) {
    return Error{"\"" + path + "\" is " + std::to_string(size) +
                 " bytes, more than the limit of " + std::to_string(max_bytes)};
  }

  std::ifstream file(path, std::ios::binary);
  if (!file) return Error{"\"" + path + "\": cannot open the file"};
  std::string contents;
  contents.reserve(static_cast<std::size_t>(size));
  char buffer[4096];
  while (file.read(buffer, sizeof(buffer)) || file.gcount() > 0) {
    contents.append(buffer, static_cast<std::size_t>(file.gcount()));
    // The file may have grown since its size was read.
    if (contents.size() > max_bytes) {
      return Error{"\"" + path + "\" is larger than the limit of " +
                   std::to_string(max_bytes) + " bytes"};
    }
  }
  if (file.bad()) return Error{"\"" + path + "\": read error"};
  return contents;
}

}  // namespace cdb_sync
