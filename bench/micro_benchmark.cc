// Micro-benchmarks of the per-scrape work that does not touch the network:
// signing one API 2.0 or TC3 request, parsing the documented example reply
// and a DTS sync-check reply, and building and serialising the
// cdb_sync_check_* series for many jobs.
//
// Run from a Release build:
//   build/bench/bench/cdb_sync_micro_benchmark
// docs/benchmarks.md has the results and the command that bench/load uses.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/api/check_info_client.h"
#include "exporter/api/signer_tc3.h"
#include "exporter/api/signer_v2.h"
#include "exporter/metrics/families.h"
#include "exporter/model/check_info.h"
#include "exporter/model/job.h"
#include "exporter/parse/check_info_parser.h"

namespace cdb_sync {
namespace {

constexpr char kExampleReplyPath[] =
    CDB_SYNC_SOURCE_DIR "/tests/fake_api/replies/seed_response.json";
constexpr char kDtsReplyPath[] =
    CDB_SYNC_SOURCE_DIR "/tests/fake_api/replies/dts_sync_check_failed.json";

// Reads the file at `path`. Exits when it cannot, because the benchmarks
// need it.
std::string ReadReply(const char* path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(1);
  }
  return {std::istreambuf_iterator<char>(file),
          std::istreambuf_iterator<char>()};
}

// Returns the documented example reply.
const std::string& ExampleReply() {
  static const std::string* const kReply =
      new std::string(ReadReply(kExampleReplyPath));
  return *kReply;
}

CheckInfoReply ParsedExampleReply() {
  Expected<CheckInfoReply> reply = ParseCheckInfoReply(ExampleReply());
  if (!reply.ok()) {
    std::cerr << "the example reply does not parse: " << reply.error() << "\n";
    std::exit(1);
  }
  return reply.value();
}

// The parameters CheckInfoClient::BuildRequest signs, with fixed values of
// the same lengths as real ones (a 19-digit Nonce, a 36-character SecretId).
ApiParams ExampleParams(SignatureMethod method) {
  return {
      {"Action", "GetCdbDataSyncTaskCheckInfo"},
      {"Nonce", "4611686018427387903"},
      {"Region", "ap-guangzhou"},
      {"SecretId", "AKIDbenchmarkSecretId000000000000000"},
      {"SignatureMethod", std::string(SignatureMethodName(method))},
      {"Timestamp", "1700000000"},
      {"jobId", "206"},
      {"srcType", "2"},
  };
}

void SignRequest(benchmark::State& state, SignatureMethod method) {
  const ApiParams params = ExampleParams(method);
  // The host and path of the default endpoint. Nothing is sent there,
  // because the strings are only signed.
  constexpr std::string_view kHost = "cdb.api.qcloud.com";
  constexpr std::string_view kPath = "/v2/index.php";
  constexpr std::string_view kSecretKey = "benchmarkSecretKey00000000000000";
  std::size_t query_bytes = 0;
  for (auto _ : state) {
    std::string query =
        BuildSignedQuery("GET", kHost, kPath, params, kSecretKey, method);
    query_bytes = query.size();
    benchmark::DoNotOptimize(query);
  }
  state.counters["query_bytes"] = static_cast<double>(query_bytes);
}

void BM_SignRequest_HmacSHA256(benchmark::State& state) {
  SignRequest(state, SignatureMethod::kHmacSha256);
}
BENCHMARK(BM_SignRequest_HmacSHA256);

void BM_SignRequest_HmacSHA1(benchmark::State& state) {
  SignRequest(state, SignatureMethod::kHmacSha1);
}
BENCHMARK(BM_SignRequest_HmacSHA1);

void BM_ParseExampleReply(benchmark::State& state) {
  const std::string& body = ExampleReply();
  for (auto _ : state) {
    Expected<CheckInfoReply> reply = ParseCheckInfoReply(body);
    if (!reply.ok()) {
      state.SkipWithError("the example reply does not parse");
      break;
    }
    benchmark::DoNotOptimize(reply);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
  state.counters["reply_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_ParseExampleReply);

void BM_SignRequest_Tc3(benchmark::State& state) {
  Tc3Request request;
  // Only signed, never sent.
  request.host = "dts.tencentcloudapi.com";
  request.service = "dts";
  request.timestamp = 1700000000;
  request.payload = R"({"JobId":"sync-bllmn8x9"})";
  for (auto _ : state) {
    Tc3Signature signature = SignTc3(
        request, "AKIDbenchmarkSecretId000000000000000", "benchmarkKey0000");
    benchmark::DoNotOptimize(signature);
  }
}
BENCHMARK(BM_SignRequest_Tc3);

// Parses and maps a DescribeCheckSyncJobResult reply, as a DTS job's fetch
// does.
void BM_InterpretDtsReply(benchmark::State& state) {
  HttpResponse response;
  response.status = 200;
  response.body = ReadReply(kDtsReplyPath);
  for (auto _ : state) {
    FetchResult result =
        CheckInfoClient::InterpretResponse(response, JobApi::kDtsSyncCheck);
    if (result.outcome != FetchOutcome::kSuccess) {
      state.SkipWithError("the DTS reply does not parse");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.counters["reply_bytes"] = static_cast<double>(response.body.size());
}
BENCHMARK(BM_InterpretDtsReply);

// N successful jobs (ids 1..N, src_type 2), each with the example's reply.
std::vector<JobResult> ExampleResults(int64_t jobs) {
  FetchResult fetched;
  fetched.outcome = FetchOutcome::kSuccess;
  fetched.reply = ParsedExampleReply();
  fetched.http_status = 200;
  fetched.duration_seconds = 0.012345;
  fetched.attempts = 1;
  std::vector<JobResult> results;
  results.reserve(static_cast<std::size_t>(jobs));
  for (int64_t id = 1; id <= jobs; ++id) {
    results.push_back({Job{id, SrcType::kPublicNetwork}, fetched});
  }
  return results;
}

// Serialises like WebServer::RenderMetrics: an ostringstream, then a string.
std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

std::size_t SeriesCount(const std::vector<prometheus::MetricFamily>& families) {
  std::size_t series = 0;
  for (const prometheus::MetricFamily& family : families) {
    series += family.metric.size();
  }
  return series;
}

// Returns the bytes allocated with malloc and not yet freed (glibc), mmapped
// chunks included.
std::size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Returns the heap bytes that the families of `results` take.
std::size_t FamiliesHeapBytes(const std::vector<JobResult>& results) {
  const std::size_t before = HeapInUse();
  std::vector<prometheus::MetricFamily> families = BuildCheckFamilies(results);
  const std::size_t after = HeapInUse();
  benchmark::DoNotOptimize(families);
  return after > before ? after - before : 0;
}

// The whole render step of a scrape: results to families to text. The
// families_heap_bytes counter is the memory the families take before they
// are serialised.
void BM_BuildAndSerialize(benchmark::State& state) {
  const std::vector<JobResult> results = ExampleResults(state.range(0));
  const std::size_t families_heap_bytes = FamiliesHeapBytes(results);
  std::size_t exposition_bytes = 0;
  std::size_t series = 0;
  for (auto _ : state) {
    std::vector<prometheus::MetricFamily> families =
        BuildCheckFamilies(results);
    std::string text = Serialize(families);
    exposition_bytes = text.size();
    series = SeriesCount(families);
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(exposition_bytes));
  state.counters["exposition_bytes"] = static_cast<double>(exposition_bytes);
  state.counters["series"] = static_cast<double>(series);
  state.counters["families_heap_bytes"] =
      static_cast<double>(families_heap_bytes);
}
// 400 and 1000 match cases of bench/load, which reads their render time.
BENCHMARK(BM_BuildAndSerialize)
    ->Arg(1)
    ->Arg(100)
    ->Arg(400)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

// The two halves of BM_BuildAndSerialize, to show where the time goes.
void BM_BuildFamilies(benchmark::State& state) {
  const std::vector<JobResult> results = ExampleResults(state.range(0));
  for (auto _ : state) {
    std::vector<prometheus::MetricFamily> families =
        BuildCheckFamilies(results);
    benchmark::DoNotOptimize(families);
  }
}
BENCHMARK(BM_BuildFamilies)
    ->Arg(1)
    ->Arg(100)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

void BM_SerializeFamilies(benchmark::State& state) {
  const std::vector<prometheus::MetricFamily> families =
      BuildCheckFamilies(ExampleResults(state.range(0)));
  std::size_t exposition_bytes = 0;
  for (auto _ : state) {
    std::string text = Serialize(families);
    exposition_bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["exposition_bytes"] = static_cast<double>(exposition_bytes);
}
BENCHMARK(BM_SerializeFamilies)
    ->Arg(1)
    ->Arg(100)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cdb_sync

BENCHMARK_MAIN();
