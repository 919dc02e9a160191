#include "exporter/api/signer_v2.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

// The example request of Tencent's API 2.0 signing documentation.
constexpr char kDocumentedKey[] = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA";

ApiParams DocumentedParams(std::string_view signature_method,
                           std::string_view instance_param_name) {
  return {
      {"Action", "DescribeInstances"},
      {std::string(instance_param_name), "ins-09dx96dg"},
      {"Nonce", "11886"},
      {"Region", "ap-guangzhou"},
      {"SecretId", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"},
      {"SignatureMethod", std::string(signature_method)},
      {"Timestamp", "1465185768"},
  };
}

// The unit-test vectors of Tencent's official Python SDK.
ApiParams SdkParams(std::string_view signature_method) {
  return {
      {"Version", "2017-03-12"},
      {"Timestamp", "1512393162"},
      {"SignatureMethod", std::string(signature_method)},
      {"SecretId", "secretIdFoo"},
      {"Region", "ap-guangzhou"},
      {"Nonce", "1290303896666895346"},
      {"Action", "DescribeInstances"},
  };
}

TEST(SignerV2Test, DocumentedStringToSign) {
  EXPECT_EQ(BuildStringToSign("GET", "cvm.api.qcloud.com", "/v2/index.php",
                              DocumentedParams("HmacSHA256", "InstanceIds.0")),
            "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&"
            "InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou&"
            "SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod="
            "HmacSHA256&Timestamp=1465185768");
}

TEST(SignerV2Test, DocumentedVectorHmacSha256) {
  const std::string text =
      BuildStringToSign("GET", "cvm.api.qcloud.com", "/v2/index.php",
                        DocumentedParams("HmacSHA256", "InstanceIds.0"));
  EXPECT_EQ(
      ComputeSignature(text, kDocumentedKey, SignatureMethod::kHmacSha256),
      "0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=");
}

TEST(SignerV2Test, DocumentedVectorHmacSha1) {
  const std::string text =
      BuildStringToSign("GET", "cvm.api.qcloud.com", "/v2/index.php",
                        DocumentedParams("HmacSHA1", "InstanceIds.0"));
  EXPECT_EQ(ComputeSignature(text, kDocumentedKey, SignatureMethod::kHmacSha1),
            "nPVnY6njQmwQ8ciqbPl5Qe+Oru4=");
}

TEST(SignerV2Test, UnderscoreInNameSignsAsDot) {
  const std::string text =
      BuildStringToSign("GET", "cvm.api.qcloud.com", "/v2/index.php",
                        DocumentedParams("HmacSHA256", "InstanceIds_0"));
  EXPECT_NE(text.find("InstanceIds.0=ins-09dx96dg"), std::string::npos);
  EXPECT_EQ(
      ComputeSignature(text, kDocumentedKey, SignatureMethod::kHmacSha256),
      "0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=");
}

TEST(SignerV2Test, SdkVectorPostHmacSha1) {
  const std::string text = BuildStringToSign(
      "POST", "cvm.api.qcloud.com", "/v2/index.php", SdkParams("HmacSHA1"));
  EXPECT_EQ(ComputeSignature(text, "secretKeyBar", SignatureMethod::kHmacSha1),
            "p3n+pxBqF5JGZtDSxoVn5tGngf0=");
}

TEST(SignerV2Test, SdkVectorGetHmacSha1) {
  const std::string text = BuildStringToSign(
      "GET", "cvm.api.qcloud.com", "/v2/index.php", SdkParams("HmacSHA1"));
  EXPECT_EQ(ComputeSignature(text, "secretKeyBar", SignatureMethod::kHmacSha1),
            "5HAq1BOKNLEE2/uauWnp6Zv9Z3c=");
}

TEST(SignerV2Test, SdkVectorPostHmacSha256) {
  const std::string text = BuildStringToSign(
      "POST", "cvm.api.qcloud.com", "/v2/index.php", SdkParams("HmacSHA256"));
  EXPECT_EQ(
      ComputeSignature(text, "secretKeyBar", SignatureMethod::kHmacSha256),
      "B2T37FRSP6Fk0/q/cdfrTE0p3zX5ooB/2BPWZUFpsj4=");
}

TEST(SignerV2Test, SortsNamesInByteOrder) {
  const ApiParams params = {
      {"jobId", "206"}, {"Timestamp", "1"}, {"srcType", "2"}, {"Action", "X"}};
  EXPECT_EQ(BuildStringToSign("GET", "h", "/p", params),
            "GETh/p?Action=X&Timestamp=1&jobId=206&srcType=2");
}

TEST(SignerV2Test, SignsRawValues) {
  const ApiParams params = {{"Name", "a b+c/d=e&f"}};
  EXPECT_EQ(BuildStringToSign("GET", "h", "/p", params),
            "GETh/p?Name=a b+c/d=e&f");
}

TEST(PercentEncodeTest, ReservedCharacters) {
  EXPECT_EQ(PercentEncode("+"), "%2B");
  EXPECT_EQ(PercentEncode("/"), "%2F");
  EXPECT_EQ(PercentEncode("="), "%3D");
  EXPECT_EQ(PercentEncode(" "), "%20");
  EXPECT_EQ(PercentEncode("&"), "%26");
  EXPECT_EQ(PercentEncode("%"), "%25");
}

TEST(PercentEncodeTest, UnreservedCharactersUnchanged) {
  EXPECT_EQ(PercentEncode("AZaz09-_.~"), "AZaz09-_.~");
}

TEST(PercentEncodeTest, ChineseAsUpperCaseUtf8Bytes) {
  EXPECT_EQ(PercentEncode("检查"), "%E6%A3%80%E6%9F%A5");
}

TEST(PercentEncodeTest, EncodesExactlyOnce) {
  EXPECT_EQ(PercentEncode("a%2Bb"), "a%252Bb");
}

TEST(BuildSignedQueryTest, EncodesSignatureAndValues) {
  const ApiParams params = DocumentedParams("HmacSHA1", "InstanceIds.0");
  const std::string query =
      BuildSignedQuery("GET", "cvm.api.qcloud.com", "/v2/index.php", params,
                       kDocumentedKey, SignatureMethod::kHmacSha1);
  EXPECT_EQ(query,
            "Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&"
            "Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&"
            "SignatureMethod=HmacSHA1&Timestamp=1465185768&"
            "Signature=nPVnY6njQmwQ8ciqbPl5Qe%2BOru4%3D");
}

TEST(BuildSignedQueryTest, SignsDecodedAndSendsEncoded) {
  const ApiParams params = {{"Action", "X"}, {"Name", "检查 a+b"}};
  const std::string query =
      BuildSignedQuery("POST", "127.0.0.1:8080", "/v2/index.php", params, "key",
                       SignatureMethod::kHmacSha256);
  const std::string signature =
      ComputeSignature("POST127.0.0.1:8080/v2/index.php?Action=X&Name=检查 a+b",
                       "key", SignatureMethod::kHmacSha256);
  EXPECT_EQ(query, "Action=X&Name=%E6%A3%80%E6%9F%A5%20a%2Bb&Signature=" +
                       PercentEncode(signature));
}

}  // namespace
}  // namespace cdb_sync
