#include "pipeline/sink/dead_letter.h"

#include <cstring>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pipeline/calendar/civil_date.h"
#include "pipeline/sink/atomic_file.h"
#include "pipeline/record/json_out.h"

namespace gongshi {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

void AppendSource(std::string& out, const Record& record, const BatchInfo& info) {
  AppendJsonKey(out, "source");
  out.push_back('{');
  AppendJsonKey(out, "name", true);
  AppendJsonString(out, info.source_name);
  if (record.position.partition >= 0) {
    AppendJsonKey(out, "partition");
    AppendJsonInt(out, record.position.partition);
  }
  AppendJsonKey(out, "offset");
  AppendJsonInt(out, record.position.offset);
  if (record.position.line > 0) {
    AppendJsonKey(out, "line");
    AppendJsonInt(out, record.position.line);
  }
  out.push_back('}');
}

}  // namespace

Result<OriginalBytes> ParseOriginalBytes(std::string_view name) {
  if (name == "sealed") return OriginalBytes::kSealed;
  if (name == "clear") return OriginalBytes::kClear;
  if (name == "omit") return OriginalBytes::kOmit;
  return Fail(ErrorCode::kInvalidConfig,
              fmt::format("dead_letter.original: '{}' is not sealed, clear or omit", name));
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Fail(ErrorCode::kInvalidConfig, "not base64");
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return Fail(ErrorCode::kInvalidConfig, "not base64");
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

DeadLetterWriter::DeadLetterWriter(const SchemaSet& schemas, std::string out_dir,
                                   OriginalBytes mode, const std::array<uint8_t, 32>& seal_key,
                                   const std::array<uint8_t, 32>& nonce_key)
    : schemas_(schemas),
      out_dir_(std::move(out_dir)),
      mode_(mode),
      seal_key_(seal_key),
      nonce_key_(nonce_key) {}

Status DeadLetterWriter::Prepare() {
  for (std::string_view sub : {"dlq", "withheld"}) {
    const std::string dir = fmt::format("{}/{}", out_dir_, sub);
    if (auto made = EnsureDirectory(dir); !made) return made;
    RemoveStaleTemporaries(dir);
  }
  return Ok();
}

std::string DeadLetterWriter::Message(const Record& record) const {
  std::string message(RejectReasonText(record.reject_reason));
  if (record.reject_field >= 0 && record.kind != RecordKind::kUnknown) {
    const FieldSpec& spec = schemas_.For(record.kind).field(record.reject_field);
    message = fmt::format("{} ({}): {}", spec.title, spec.name, message);
  }
  if (!record.reject_detail.empty())
    message = fmt::format("{} ({})", message, record.reject_detail);
  return message;
}

std::string DeadLetterWriter::Seal(std::string_view bytes) const {
  unsigned char nonce_full[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), nonce_key_.data(), static_cast<int>(nonce_key_.size()),
       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nonce_full, &n);
  std::string sealed(kNonceBytes + bytes.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  std::memcpy(out, nonce_full, kNonceBytes);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, seal_key_.data(), out);
  EVP_EncryptUpdate(ctx, out + kNonceBytes, &len,
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    static_cast<int>(bytes.size()));
  EVP_EncryptFinal_ex(ctx, out + kNonceBytes + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, out + kNonceBytes + bytes.size());
  EVP_CIPHER_CTX_free(ctx);
  return Base64Encode(sealed);
}

Result<std::string> DeadLetterWriter::Unseal(std::string_view sealed_base64,
                                             const std::array<uint8_t, 32>& seal_key) {
  auto sealed = Base64Decode(sealed_base64);
  if (!sealed) return Fail(sealed.error());
  if (sealed->size() < kNonceBytes + kTagBytes) {
    return Fail(ErrorCode::kInvalidConfig, "sealed value too short");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(sealed->data());
  const size_t size = sealed->size() - kNonceBytes - kTagBytes;
  std::string plain(size, '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, seal_key.data(), in);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len, in + kNonceBytes,
                    static_cast<int>(size));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes,
                      const_cast<unsigned char*>(in + kNonceBytes + size));
  const int ok =
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + len, &len);
  EVP_CIPHER_CTX_free(ctx);
  if (ok != 1) {
    return Fail(ErrorCode::kInvalidConfig,
                "the sealed bytes do not open with this key (wrong key, or altered)");
  }
  return plain;
}

void DeadLetterWriter::AppendEntry(const Record& record, const BatchInfo& info, std::string& out) {
  out.push_back('{');
  AppendJsonKey(out, "reason", true);
  AppendJsonString(out, RejectReasonCode(record.reject_reason));
  AppendJsonKey(out, "message");
  AppendJsonString(out, Message(record));
  if (record.kind != RecordKind::kUnknown) {
    AppendJsonKey(out, "kind");
    AppendJsonString(out, RecordKindName(record.kind));
    if (record.reject_field >= 0) {
      AppendJsonKey(out, "field");
      AppendJsonString(out, schemas_.For(record.kind).field(record.reject_field).name);
    }
  }
  AppendSource(out, record, info);
  AppendJsonKey(out, "batch_id");
  AppendJsonString(out, info.batch_id);
  AppendJsonKey(out, "original_bytes");
  AppendJsonUint(out, record.raw.size());
  switch (mode_) {
    case OriginalBytes::kSealed:
      AppendJsonKey(out, "original_sealed");
      AppendJsonString(out, Seal(record.raw));
      break;
    case OriginalBytes::kClear:
      AppendJsonKey(out, "original_base64");
      AppendJsonString(out, Base64Encode(record.raw));
      break;
    case OriginalBytes::kOmit: break;
  }
  out.append("}\n");
}

Status DeadLetterWriter::Write(const RecordBatch& batch, const BatchInfo& info,
                               DurableFileSet& files, DeadLetterStats& stats) {
  body_.clear();
  withheld_.clear();
  for (const Record& record : batch.records) {
    if (record.outcome == Outcome::kRejected) {
      AppendEntry(record, info, body_);
      ++stats.rejected;
    } else if (record.outcome == Outcome::kWithheld) {
      // The auditors' account of what was not published and why: identity and position only.
      const RecordSchema& schema = schemas_.For(record.kind);
      withheld_.push_back('{');
      AppendJsonKey(withheld_, "reason", true);
      AppendJsonString(withheld_, WithholdReasonCode(record.withhold_reason));
      AppendJsonKey(withheld_, "kind");
      AppendJsonString(withheld_, RecordKindName(record.kind));
      AppendJsonKey(withheld_, "record_id");
      AppendJsonString(withheld_, HexEncode(record.identity));
      for (std::string_view name : {"authority_uscc", "decision_date"}) {
        const int f = schema.FieldIndex(name);
        if (f < 0 || !record.present.test(f)) continue;
        AppendJsonKey(withheld_, name);
        AppendJsonString(withheld_, schema.field(f).format == FieldFormat::kDate
                                        ? FormatDate(static_cast<int32_t>(record.values[f]))
                                        : std::string(record.fields[f]));
      }
      AppendSource(withheld_, record, info);
      AppendJsonKey(withheld_, "batch_id");
      AppendJsonString(withheld_, info.batch_id);
      withheld_.append("}\n");
      ++stats.withheld;
    }
  }
  const std::string stem = fmt::format("{:010}-{}.ndjson", info.sequence, info.batch_id);
  if (!body_.empty()) {
    if (auto written = files.Stage(fmt::format("{}/dlq/{}", out_dir_, stem), body_); !written) {
      return written;
    }
  }
  if (!withheld_.empty()) {
    if (auto written = files.Stage(fmt::format("{}/withheld/{}", out_dir_, stem), withheld_);
        !written) {
      return written;
    }
  }
  return Ok();
}

}  // namespace gongshi
