#include "pipeline/common/sha256.h"

#include <openssl/evp.h>

namespace gongshi {

std::array<uint8_t, 32> Sha256(std::string_view data) {
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr);
  return out;
}

}  // namespace gongshi
