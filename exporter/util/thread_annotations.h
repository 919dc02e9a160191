// Clang thread-safety analysis attributes, checked by -Wthread-safety in the
// clang build. Other compilers see empty macros.
#ifndef CDB_SYNC_EXPORTER_UTIL_THREAD_ANNOTATIONS_H_
#define CDB_SYNC_EXPORTER_UTIL_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define CDB_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CDB_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) CDB_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY CDB_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) CDB_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) CDB_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) CDB_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) CDB_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) CDB_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) CDB_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS \
  CDB_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // CDB_SYNC_EXPORTER_UTIL_THREAD_ANNOTATIONS_H_
