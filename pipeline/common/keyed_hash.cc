#include "pipeline/common/keyed_hash.h"

#include <cstring>

#include <openssl/hmac.h>
#include <xxhash.h>

namespace gongshi {

Result<std::unique_ptr<KeyedHash>> KeyedHash::Create(std::string_view key) {
  if (key.size() < 16) {
    return Fail(ErrorCode::kInvalidConfig, "the HMAC key must be at least 16 bytes");
  }
  std::unique_ptr<KeyedHash> hash(new KeyedHash());
  hash->key_ = std::string(key);
  // RFC 2104 with SHA-256's 64-byte block: keys longer than a block are hashed first.
  std::array<uint8_t, 64> block{};
  if (key.size() > block.size()) {
    unsigned int n = 0;
    EVP_Digest(key.data(), key.size(), block.data(), &n, EVP_sha256(), nullptr);
  } else {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<uint8_t, 64> ipad{}, opad{};
  for (size_t i = 0; i < block.size(); ++i) {
    ipad[i] = block[i] ^ 0x36;
    opad[i] = block[i] ^ 0x5c;
  }
  hash->inner_ = EVP_MD_CTX_new();
  hash->outer_ = EVP_MD_CTX_new();
  hash->work_ = EVP_MD_CTX_new();
  if (!hash->inner_ || !hash->outer_ || !hash->work_ ||
      EVP_DigestInit_ex(hash->inner_, EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(hash->inner_, ipad.data(), ipad.size()) != 1 ||
      EVP_DigestInit_ex(hash->outer_, EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(hash->outer_, opad.data(), opad.size()) != 1) {
    return Fail(ErrorCode::kInternal, "OpenSSL SHA-256 is unavailable");
  }
  for (size_t i = 0; i < hash->xxh_secret_.size(); i += 32) {
    const auto part = hash->DeriveKey(fmt::format("gongshi fingerprint secret {}", i / 32));
    std::memcpy(hash->xxh_secret_.data() + i, part.data(), 32);
  }
  hash->xxh_state_ = XXH3_createState();
  return hash;
}

KeyedHash::~KeyedHash() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
  EVP_MD_CTX_free(work_);
  XXH3_freeState(static_cast<XXH3_state_t*>(xxh_state_));
  OPENSSL_cleanse(key_.data(), key_.size());
}

Digest128 KeyedHash::Hmac(std::string_view message) {
  uint8_t inner_digest[32];
  uint8_t outer_digest[32];
  unsigned int n = 0;
  EVP_MD_CTX_copy_ex(work_, inner_);
  EVP_DigestUpdate(work_, message.data(), message.size());
  EVP_DigestFinal_ex(work_, inner_digest, &n);
  EVP_MD_CTX_copy_ex(work_, outer_);
  EVP_DigestUpdate(work_, inner_digest, sizeof(inner_digest));
  EVP_DigestFinal_ex(work_, outer_digest, &n);
  Digest128 out;
  std::memcpy(out.data(), outer_digest, out.size());
  return out;
}

void KeyedHash::FingerprintBegin() {
  XXH3_128bits_reset_withSecret(static_cast<XXH3_state_t*>(xxh_state_), xxh_secret_.data(),
                                xxh_secret_.size());
}

void KeyedHash::FingerprintAdd(std::string_view part) {
  auto* state = static_cast<XXH3_state_t*>(xxh_state_);
  // Length-prefixed, so ("ab","c") and ("a","bc") differ.
  const uint32_t size = static_cast<uint32_t>(part.size());
  XXH3_128bits_update(state, &size, sizeof(size));
  XXH3_128bits_update(state, part.data(), part.size());
}

Digest128 KeyedHash::FingerprintFinish() {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(xxh_state_));
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);
  Digest128 out;
  std::memcpy(out.data(), canonical.digest, out.size());
  return out;
}

std::array<uint8_t, 32> KeyedHash::DeriveKey(std::string_view label) const {
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), out.data(), &n);
  return out;
}

}  // namespace gongshi
