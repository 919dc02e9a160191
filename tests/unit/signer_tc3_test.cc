#include "exporter/api/signer_tc3.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

// Tencent Cloud's documented TC3-HMAC-SHA256 example (DescribeInstances on
// cvm, version 2017-03-12), with its published intermediate values.
Tc3Request DocumentedRequest() {
  Tc3Request request;
  request.host = "cvm.tencentcloudapi.com";
  request.service = "cvm";
  request.timestamp = 1551113065;
  request.payload =
      R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], )"
      R"("Name": "instance-name"}]})";
  return request;
}

constexpr char kSecretId[] = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
constexpr char kSecretKey[] = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";

TEST(SignerTc3Test, DocumentedVector) {
  const Tc3Signature signed_request =
      SignTc3(DocumentedRequest(), kSecretId, kSecretKey);
  EXPECT_EQ(signed_request.payload_hash,
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
  EXPECT_EQ(signed_request.canonical_request,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
            "host:cvm.tencentcloudapi.com\n\ncontent-type;host\n"
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
  EXPECT_EQ(signed_request.canonical_request_hash,
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
  EXPECT_EQ(signed_request.credential_scope, "2019-02-25/cvm/tc3_request");
  EXPECT_EQ(signed_request.signature,
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
  EXPECT_EQ(signed_request.authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/"
            "2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
            "Signature="
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
}

TEST(SignerTc3Test, DateIsUtcAfterMidnightInUtcPlus8) {
  // 2026-12-05 00:30 in UTC+8 is 2026-12-04 16:30 UTC.
  EXPECT_EQ(Tc3Date(1796401800), "2026-12-04");
  // One second before and at UTC midnight.
  EXPECT_EQ(Tc3Date(1796428799), "2026-12-04");
  EXPECT_EQ(Tc3Date(1796428800), "2026-12-05");

  Tc3Request request = DocumentedRequest();
  request.timestamp = 1796401800;
  EXPECT_EQ(SignTc3(request, kSecretId, kSecretKey).credential_scope,
            "2026-12-04/cvm/tc3_request");
}

TEST(SignerTc3Test, EveryInputChangesSignature) {
  const std::string base =
      SignTc3(DocumentedRequest(), kSecretId, kSecretKey).signature;
  Tc3Request other = DocumentedRequest();
  other.payload += " ";
  EXPECT_NE(SignTc3(other, kSecretId, kSecretKey).signature, base);
  other = DocumentedRequest();
  other.timestamp += 1;
  EXPECT_NE(SignTc3(other, kSecretId, kSecretKey).signature, base);
  other = DocumentedRequest();
  other.host = "dts.tencentcloudapi.com";
  EXPECT_NE(SignTc3(other, kSecretId, kSecretKey).signature, base);
  EXPECT_NE(SignTc3(DocumentedRequest(), kSecretId, "other-key").signature,
            base);
}

TEST(SignerTc3Test, Sha256OfEmptyPayload) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace cdb_sync
