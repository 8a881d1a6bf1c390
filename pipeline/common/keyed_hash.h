// KeyedHash: the only way personal identifiers enter the state store. An 18-digit ID number has
// too little entropy for a plain hash (it can be enumerated), so identities are HMAC-SHA256 under
// a secret key; content fingerprints are XXH3-128 under a secret derived from the same key.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "pipeline/record/error.h"

namespace gongshi {

using Digest128 = std::array<uint8_t, 16>;

// Not thread-safe (reuses its EVP contexts); one per worker.
class KeyedHash {
 public:
  // `key` must be at least 16 bytes. Never logged.
  static Result<std::unique_ptr<KeyedHash>> Create(std::string_view key);
  ~KeyedHash();
  KeyedHash(const KeyedHash&) = delete;
  KeyedHash& operator=(const KeyedHash&) = delete;

  // HMAC-SHA256(key, message), truncated to 128 bits.
  Digest128 Hmac(std::string_view message);
  // Streaming fingerprint: Begin, Add parts, Finish.
  void FingerprintBegin();
  void FingerprintAdd(std::string_view part);
  Digest128 FingerprintFinish();
  // A 32-byte subkey for another purpose (e.g. sealing dead-letter bytes), HMAC(key, label).
  std::array<uint8_t, 32> DeriveKey(std::string_view label) const;

 private:
  KeyedHash() = default;
  std::string key_;
  // The HMAC inner and outer states after absorbing the padded key, copied per message: one
  // HMAC then costs two small SHA-256 runs instead of four (performance-notes.md).
  EVP_MD_CTX* inner_ = nullptr;
  EVP_MD_CTX* outer_ = nullptr;
  EVP_MD_CTX* work_ = nullptr;
  std::array<uint8_t, 192> xxh_secret_{};
  void* xxh_state_ = nullptr;  // XXH3_state_t, opaque here to keep xxhash.h out of the header
};

}  // namespace gongshi
