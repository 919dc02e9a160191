// Parses the JSON reply of GetCdbDataSyncTaskList.
#ifndef CDB_SYNC_EXPORTER_PARSE_TASK_LIST_PARSER_H_
#define CDB_SYNC_EXPORTER_PARSE_TASK_LIST_PARSER_H_

#include <string_view>

#include "exporter/model/sync_task.h"
#include "exporter/util/expected.h"

namespace cdb_sync {

// Maximum number of tasks one page may list; the API itself sends at most
// 100 (its maximum limit).
inline constexpr std::size_t kMaxTasksPerPage = 1000;

// Parses one page of the list reply. Accepts what the check-info parser
// accepts (integers as numeric strings, a byte-order mark, invalid UTF-8
// repaired, `data` as an object or a one-element array) and reads
// data.totalCount or data.totalNum and data.jobList[] with jobId, jobName,
// type, status, progress and detail.checkInfo.checkFlag. A task without a
// positive jobId is an error, since it cannot be scraped.
Expected<TaskListReply> ParseTaskListReply(std::string_view body);

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_PARSE_TASK_LIST_PARSER_H_
