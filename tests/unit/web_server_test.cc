#include <gtest/gtest.h>
#include <httplib.h>

#include "exporter/web/server.h"

namespace cdb_sync {
namespace {

WebServer MakeServer(std::chrono::milliseconds offset) {
  WebOptions options;
  options.listen_address = {"127.0.0.1", 0};
  options.scrape_timeout_offset = offset;
  WebHandlers handlers;
  handlers.metrics = [](Deadline) {
    return std::vector<prometheus::MetricFamily>{};
  };
  handlers.probe = [](const Job&, Deadline) {
    return std::vector<prometheus::MetricFamily>{};
  };
  handlers.statuses = [] {
    return std::vector<JobStatus>{{.job = {206, SrcType::kSelfBuilt}}};
  };
  handlers.reload = [] { return std::string(); };
  return WebServer(options, handlers);
}

double SecondsLeft(const Deadline& deadline) {
  return std::chrono::duration<double>(*deadline -
                                       std::chrono::steady_clock::now())
      .count();
}

httplib::Request WithTimeoutHeader(const std::string& value) {
  httplib::Request request;
  request.headers.emplace(kScrapeTimeoutHeader, value);
  return request;
}

TEST(ScrapeDeadlineTest, TimeoutMinusOffset) {
  const WebServer server = MakeServer(std::chrono::milliseconds(500));
  const Deadline deadline = server.ScrapeDeadline(WithTimeoutHeader("10"));
  ASSERT_TRUE(deadline.has_value());
  EXPECT_GT(SecondsLeft(deadline), 9.3);
  EXPECT_LE(SecondsLeft(deadline), 9.5);
}

TEST(ScrapeDeadlineTest, HalfTimeoutWhenOffsetTooLarge) {
  const WebServer server = MakeServer(std::chrono::milliseconds(500));
  const Deadline deadline = server.ScrapeDeadline(WithTimeoutHeader("0.4"));
  ASSERT_TRUE(deadline.has_value());
  EXPECT_GT(SecondsLeft(deadline), 0.1);
  EXPECT_LE(SecondsLeft(deadline), 0.2);
}

TEST(ScrapeDeadlineTest, NoOrInvalidHeader) {
  const WebServer server = MakeServer(std::chrono::milliseconds(500));
  EXPECT_FALSE(server.ScrapeDeadline(httplib::Request()).has_value());
  for (const char* value : {"", "abc", "-1", "0", "nan", "inf", "1e9", "5s"}) {
    EXPECT_FALSE(server.ScrapeDeadline(WithTimeoutHeader(value)).has_value())
        << value;
  }
}

TEST(StatusPageRouteTest, ListsJobsAndLinksMetrics) {
  const WebServer server = MakeServer(std::chrono::milliseconds(500));
  const std::string page = server.RenderStatusPage();
  EXPECT_NE(page.find("data-job-id=\"206\" data-src-type=\"1\" "
                      "data-state=\"not_fetched\""),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("href=\"/metrics\""), std::string::npos) << page;
}

TEST(EscapeHtmlTest, SpecialCharacters) {
  EXPECT_EQ(EscapeHtml(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace cdb_sync
