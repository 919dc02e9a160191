// Reading of small configuration and credential files.
#ifndef CDB_SYNC_EXPORTER_UTIL_FILE_H_
#define CDB_SYNC_EXPORTER_UTIL_FILE_H_

#include <cstddef>
#include <string>

#include "exporter/util/expected.h"

namespace cdb_sync {

// Returns the contents of the regular file at `path`. A directory, a device
// such as /dev/zero, a FIFO or a file over `max_bytes` is an error, so that a
// wrong path cannot make the exporter read without end. The error names the
// path and the reason, never the contents.
Expected<std::string> ReadSmallFile(const std::string& path,
                                    std::size_t max_bytes);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_UTIL_FILE_H_
