// SHA-256 of a byte string: feed files, manifests, batch ids, source ids and the HTTP sink's
// content digest all name bytes by it, so there is one definition (OpenSSL's EVP digest).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace gongshi {

std::array<uint8_t, 32> Sha256(std::string_view data);

}  // namespace gongshi
