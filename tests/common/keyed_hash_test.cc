// KeyedHash: the HMAC with precomputed pads agrees with OpenSSL's one-shot HMAC, fingerprint
// parts are separated, and a short key is refused.
#include "pipeline/common/keyed_hash.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace gongshi {
namespace {

TEST(KeyedHashTest, PrecomputedPadsGiveTheStandardHmac) {
  // Hmac() reuses the key's inner and outer SHA-256 states; DeriveKey() is OpenSSL's one-shot
  // HMAC(). Both must agree, for short keys and for keys longer than a block (hashed first).
  for (std::string key : {std::string("0123456789abcdef0123"), std::string(100, 'k')}) {
    auto hash = KeyedHash::Create(key);
    ASSERT_TRUE(hash);
    const Digest128 ours = (*hash)->Hmac("what do ya want for nothing?");
    const auto reference = (*hash)->DeriveKey("what do ya want for nothing?");
    EXPECT_TRUE(std::equal(ours.begin(), ours.end(), reference.begin())) << key.size();
  }
}

TEST(KeyedHashTest, FingerprintSeparatesParts) {
  auto hash = KeyedHash::Create("0123456789abcdef0123");
  ASSERT_TRUE(hash);
  (*hash)->FingerprintBegin();
  (*hash)->FingerprintAdd("ab");
  (*hash)->FingerprintAdd("c");
  const Digest128 one = (*hash)->FingerprintFinish();
  (*hash)->FingerprintBegin();
  (*hash)->FingerprintAdd("a");
  (*hash)->FingerprintAdd("bc");
  EXPECT_NE(one, (*hash)->FingerprintFinish());
}

TEST(KeyedHashTest, RefusesShortKeys) { EXPECT_FALSE(KeyedHash::Create("short")); }

}  // namespace
}  // namespace gongshi
