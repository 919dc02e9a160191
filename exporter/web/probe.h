// The query string of /probe, Prometheus' multi-target exporter pattern.
#ifndef CDB_SYNC_EXPORTER_WEB_PROBE_H_
#define CDB_SYNC_EXPORTER_WEB_PROBE_H_

#include <map>
#include <string>

#include "exporter/model/job.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

// Reads the job that `/probe?job_id=206&src_type=2` names. Both parameters
// are required, once each: job_id a positive integer, src_type 1, 2 or 10.
// A DTS job is named by api and its id instead, e.g.
// `/probe?api=dts_migration_check&job_id=dts-1ewjspuw`, without src_type;
// api=cdb_sync_check names an API 2.0 job, the default.
// Any other parameter is rejected, so a typo cannot go unnoticed. The error
// names the parameter, its value and the expected form.
Expected<Job> ParseProbeTarget(
    const std::multimap<std::string, std::string>& params);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_WEB_PROBE_H_
