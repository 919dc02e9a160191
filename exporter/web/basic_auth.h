// HTTP basic authentication against bcrypt hashes.
#ifndef CDB_SYNC_EXPORTER_WEB_BASIC_AUTH_H_
#define CDB_SYNC_EXPORTER_WEB_BASIC_AUTH_H_

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "exporter/util/mutex.h"

namespace cdb_sync {

// BasicAuthenticator checks Authorization headers against user names and
// bcrypt hashes. A bcrypt check costs milliseconds (about 2 ms at cost 4 to
// 50 ms at cost 10 on a 2-core test machine, an estimate), so successful
// checks are remembered, as SHA-256 digests rather than passwords.
// Thread-safe.
class BasicAuthenticator {
 public:
  explicit BasicAuthenticator(std::map<std::string, std::string> users);

  // Returns true when `authorization`, an Authorization header value, is
  // "Basic " plus the base64 of a known user, a colon and its password.
  bool Check(std::string_view authorization) const EXCLUDES(mutex_);

 private:
  const std::map<std::string, std::string> users_;
  mutable Mutex mutex_;
  mutable std::set<std::string> verified_ GUARDED_BY(mutex_);
};

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_BASIC_AUTH_H_
