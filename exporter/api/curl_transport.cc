#include "exporter/api/curl_transport.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "exporter/util/log.h"

namespace cdb_sync {
namespace {

// How long the loop sleeps when nothing happens; curl_multi_wakeup() ends
// the sleep as soon as a request arrives or the transport stops.
constexpr int kIdlePollMs = 1000;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::future<HttpResponse> ReadyResponse(TransportError error,
                                        std::string message) {
  std::promise<HttpResponse> promise;
  HttpResponse response;
  response.error = error;
  response.error_message = std::move(message);
  promise.set_value(std::move(response));
  return promise.get_future();
}

TransportError ClassifyCurlError(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportError::kResolveFailed;
    case CURLE_COULDNT_CONNECT:
      return TransportError::kConnectFailed;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return TransportError::kTlsFailed;
    case CURLE_FILESIZE_EXCEEDED:
      return TransportError::kBodyTooLarge;
    case CURLE_FAILED_INIT:
      return TransportError::kInternal;
    default:
      return TransportError::kTransferFailed;
  }
}

}  // namespace

// One request on its way through the loop.
struct CurlTransport::Transfer {
  HttpRequest request;
  std::promise<HttpResponse> promise;
  HttpResponse response;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool body_too_large = false;
  CURL* easy = nullptr;
  std::chrono::steady_clock::time_point queued_at =
      std::chrono::steady_clock::now();

  void Complete() {
    response.elapsed = std::chrono::steady_clock::now() - queued_at;
    promise.set_value(std::move(response));
  }

  void Fail(TransportError error, std::string message) {
    response = HttpResponse();
    response.error = error;
    response.error_message = std::move(message);
    Complete();
  }

  static std::size_t Write(char* data, std::size_t size, std::size_t count,
                           void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    std::string& body = transfer->response.body;
    if (body.size() + bytes > transfer->request.max_body_bytes) {
      // Returning less than `bytes` makes curl abort with CURLE_WRITE_ERROR.
      transfer->body_too_large = true;
      return 0;
    }
    body.append(data, bytes);
    return bytes;
  }
};

Expected<std::unique_ptr<CurlTransport>> CurlTransport::Create(
    int max_concurrency, std::string user_agent) {
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return Error{"curl_multi_init failed"};
  // Keep enough idle connections for every concurrent transfer.
  if (curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                        static_cast<long>(max_concurrency)) != CURLM_OK) {
    curl_multi_cleanup(multi);
    return Error{"curl_multi_setopt(CURLMOPT_MAXCONNECTS) failed"};
  }
  return std::unique_ptr<CurlTransport>(
      new CurlTransport(multi, max_concurrency, std::move(user_agent)));
}

CurlTransport::CurlTransport(CURLM* multi, int max_concurrency,
                             std::string user_agent)
    : max_concurrency_(max_concurrency),
      user_agent_(std::move(user_agent)),
      multi_(multi) {
  thread_ = std::thread([this] { Run(); });
}

CurlTransport::~CurlTransport() {
  Shutdown();
  for (CURL* easy : idle_handles_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
}

void CurlTransport::Shutdown() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  std::call_once(joined_, [this] { thread_.join(); });
}

std::future<HttpResponse> CurlTransport::Send(HttpRequest request) {
  try {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    std::future<HttpResponse> future = transfer->promise.get_future();
    {
      MutexLock lock(mutex_);
      if (stopping_) {
        return ReadyResponse(TransportError::kInternal,
                             "the HTTP transport is shutting down");
      }
      queue_.push_back(std::move(transfer));
    }
    curl_multi_wakeup(multi_);
    return future;
  } catch (const std::exception& error) {
    return ReadyResponse(
        TransportError::kInternal,
        std::string("cannot queue the request: ") + error.what());
  }
}

void CurlTransport::Run() {
  while (true) {
    std::deque<std::unique_ptr<Transfer>> starting;
    bool stopping = false;
    {
      MutexLock lock(mutex_);
      stopping = stopping_;
      while (!queue_.empty() &&
             active_.size() + starting.size() <
                 static_cast<std::size_t>(max_concurrency_)) {
        starting.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (stopping) {
      FailAll(starting);
      break;
    }
    for (auto& transfer : starting) StartTransfer(std::move(transfer));

    int running = 0;
    CURLMcode code = curl_multi_perform(multi_, &running);
    if (code != CURLM_OK) {
      log::Error("curl_multi_perform failed",
                 {{"error", curl_multi_strerror(code)}});
    }

    int remaining = 0;
    bool finished_any = false;
    while (CURLMsg* message = curl_multi_info_read(multi_, &remaining)) {
      if (message->msg == CURLMSG_DONE) {
        FinishTransfer(message->easy_handle, message->data.result);
        finished_any = true;
      }
    }
    // A finished transfer frees a slot: start the queued requests at once
    // instead of sleeping in curl_multi_poll first.
    if (finished_any) continue;

    code = curl_multi_poll(multi_, nullptr, 0, kIdlePollMs, nullptr);
    if (code != CURLM_OK) {
      log::Error("curl_multi_poll failed",
                 {{"error", curl_multi_strerror(code)}});
    }
  }

  // Shutting down: nothing new is queued once stopping_ is set.
  std::deque<std::unique_ptr<Transfer>> leftovers;
  {
    MutexLock lock(mutex_);
    leftovers.swap(queue_);
  }
  for (auto& transfer : active_) {
    curl_multi_remove_handle(multi_, transfer->easy);
    idle_handles_.push_back(transfer->easy);
    leftovers.push_back(std::move(transfer));
  }
  active_.clear();
  FailAll(leftovers);
}

void CurlTransport::FailAll(std::deque<std::unique_ptr<Transfer>>& pending) {
  for (auto& transfer : pending) {
    transfer->Fail(TransportError::kInternal,
                   "the HTTP transport shut down before the request finished");
  }
  pending.clear();
}

void CurlTransport::StartTransfer(std::unique_ptr<Transfer> transfer) {
  CURL* easy = nullptr;
  if (!idle_handles_.empty()) {
    easy = idle_handles_.back();
    idle_handles_.pop_back();
    curl_easy_reset(easy);
  } else {
    easy = curl_easy_init();
  }
  if (easy == nullptr) {
    transfer->Fail(TransportError::kInternal, "curl_easy_init failed");
    return;
  }
  transfer->easy = easy;
  HttpRequest& request = transfer->request;

  // A request that waited in the queue gets only the time left before its
  // deadline.
  if (request.deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *request.deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      idle_handles_.push_back(easy);
      transfer->Fail(TransportError::kTimeout,
                     "the deadline passed while the request waited for a "
                     "free connection slot");
      return;
    }
    request.timeout = std::min(request.timeout, left);
    request.connect_timeout = std::min(request.connect_timeout, left);
  }

  // Build the header list. curl_slist_append returns the list's head, or
  // null when out of memory, leaving the list as it was.
  bool headers_ok = true;
  for (const std::string& header : request.headers) {
    curl_slist* head =
        curl_slist_append(transfer->headers.get(), header.c_str());
    if (head == nullptr) {
      headers_ok = false;
      break;
    }
    if (head != transfer->headers.get()) {
      // Only the first append starts a new list; later ones return it.
      transfer->headers.reset(head);
    }
  }

  CURLcode code = headers_ok ? CURLE_OK : CURLE_OUT_OF_MEMORY;
  auto set = [&](CURLoption option, auto value) {
    if (code == CURLE_OK) code = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(transfer.get()));
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(request.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_HTTPHEADER, transfer->headers.get());
  set(CURLOPT_WRITEFUNCTION, &Transfer::Write);
  set(CURLOPT_WRITEDATA, static_cast<void*>(transfer.get()));
  set(CURLOPT_ERRORBUFFER, transfer->error_buffer);
  set(CURLOPT_USERAGENT, user_agent_.c_str());
  // An empty string offers every encoding this libcurl can decode; the body
  // cap then applies to the decoded bytes.
  set(CURLOPT_ACCEPT_ENCODING, "");
  set(CURLOPT_MAXFILESIZE_LARGE,
      static_cast<curl_off_t>(request.max_body_bytes));
  if (request.method == HttpMethod::kPost) {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDSIZE_LARGE,
        static_cast<curl_off_t>(request.body.size()));
    set(CURLOPT_POSTFIELDS, request.body.c_str());
  } else {
    set(CURLOPT_HTTPGET, 1L);
  }
  if (code != CURLE_OK) {
    idle_handles_.push_back(easy);
    transfer->Fail(
        TransportError::kInternal,
        std::string("cannot set up the request: ") + curl_easy_strerror(code));
    return;
  }

  const CURLMcode added = curl_multi_add_handle(multi_, easy);
  if (added != CURLM_OK) {
    idle_handles_.push_back(easy);
    transfer->Fail(TransportError::kInternal,
                   std::string("curl_multi_add_handle failed: ") +
                       curl_multi_strerror(added));
    return;
  }
  active_.push_back(std::move(transfer));
}

void CurlTransport::FinishTransfer(CURL* easy, CURLcode result) {
  auto found = std::find_if(
      active_.begin(), active_.end(),
      [easy](const std::unique_ptr<Transfer>& t) { return t->easy == easy; });
  curl_multi_remove_handle(multi_, easy);
  idle_handles_.push_back(easy);
  if (found == active_.end()) {
    log::Error("curl reported a transfer the transport does not know");
    return;
  }
  std::unique_ptr<Transfer> transfer = std::move(*found);
  active_.erase(found);

  if (result == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    transfer->response.status = status;
    transfer->Complete();
    return;
  }

  const TransportError error = transfer->body_too_large
                                   ? TransportError::kBodyTooLarge
                                   : ClassifyCurlError(result);
  std::string message;
  if (error == TransportError::kBodyTooLarge) {
    message = "the response body is larger than " +
              std::to_string(transfer->request.max_body_bytes) + " bytes";
  } else {
    message = curl_easy_strerror(result);
    if (result == CURLE_OUT_OF_MEMORY) {
      // libcurl 7.88 also returns this for a response header over its
      // 100 KiB limit (CURL_MAX_HTTP_HEADER), a broken server's doing.
      message += " (or a response header larger than libcurl accepts)";
    }
    // The error buffer can name the URL, whose query carries the signature.
    std::string detail = transfer->error_buffer;
    if (std::size_t query = detail.find('?'); query != std::string::npos) {
      detail.resize(query);
    }
    if (!detail.empty()) message += ": " + detail;
  }
  transfer->Fail(error, std::move(message));
}

}  // namespace cdb_sync
