#include "pipeline/sink/dead_letter.h"

#include <charconv>
#include <cstring>
#include <optional>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include "pipeline/common/atomic_file.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/common/json_out.h"

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

std::string_view OriginalBytesName(OriginalBytes mode) {
  switch (mode) {
    case OriginalBytes::kSealed: return "sealed";
    case OriginalBytes::kClear: return "clear";
    case OriginalBytes::kOmit: return "omit";
  }
  return "omit";
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

OriginalSealer::OriginalSealer(OriginalBytes mode, const std::array<uint8_t, 32>& seal_key,
                               const std::array<uint8_t, 32>& nonce_key)
    : mode_(mode), seal_key_(seal_key), nonce_key_(nonce_key) {}

std::string OriginalSealer::Seal(std::string_view bytes) const {
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

Result<std::string> OriginalSealer::Unseal(std::string_view sealed_base64,
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

std::string_view OriginalNulls(const Record& record) {
  if (record.position.partition < 0) return {};  // a file's record: no key, never null
  if (record.key_null && record.value_null) return "key,value";
  if (record.key_null) return "key";
  if (record.value_null) return "value";
  return {};
}

void MakeDeadLetterTopicMessage(const Record& record, std::string_view source_topic,
                                std::string message, const OriginalSealer& sealer,
                                DeadLetterTopicMessage& out) {
  const OriginalBytes mode = sealer.mode();
  out.key_null = mode == OriginalBytes::kOmit || record.key_null;
  out.key.clear();
  out.value.clear();
  if (mode == OriginalBytes::kSealed) {
    if (!out.key_null) out.key = sealer.Seal(record.key);
    if (!record.value_null) out.value = sealer.Seal(record.raw);
  } else if (mode == OriginalBytes::kClear) {
    out.key.assign(record.key);
    out.value.assign(record.raw);
  }
  out.headers.clear();
  out.headers.push_back(
      {std::string(kHeaderReason), std::string(RejectReasonCode(record.reject_reason))});
  out.headers.push_back({std::string(kHeaderMessage), std::move(message)});
  out.headers.push_back({std::string(kHeaderSourceTopic), std::string(source_topic)});
  out.headers.push_back(
      {std::string(kHeaderSourcePartition), std::to_string(record.position.partition)});
  out.headers.push_back({std::string(kHeaderSourceOffset), std::to_string(record.position.offset)});
  out.headers.push_back({std::string(kHeaderOriginal), std::string(OriginalBytesName(mode))});
  if (const std::string_view nulls = OriginalNulls(record); !nulls.empty()) {
    out.headers.push_back({std::string(kHeaderOriginalNull), std::string(nulls)});
  }
  if (mode != OriginalBytes::kOmit && !record.headers.empty()) {
    out.headers.push_back({std::string(kHeaderOriginalHeaders),
                           mode == OriginalBytes::kSealed ? sealer.Seal(record.headers)
                                                          : Base64Encode(record.headers)});
  }
}

DeadLetterWriter::DeadLetterWriter(const SchemaSet& schemas, std::string out_dir,
                                   OriginalBytes mode, const std::array<uint8_t, 32>& seal_key,
                                   const std::array<uint8_t, 32>& nonce_key)
    : schemas_(schemas), out_dir_(std::move(out_dir)), sealer_(mode, seal_key, nonce_key) {}

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
  const OriginalBytes mode = sealer_.mode();
  AppendJsonKey(out, "original");
  AppendJsonString(out, OriginalBytesName(mode));
  AppendJsonKey(out, "original_bytes");
  AppendJsonUint(out, record.raw.size());
  const bool kafka = record.position.partition >= 0;
  // The parts as the mode keeps them: ciphertext under keys ending in _sealed, or base64.
  auto part = [&](std::string_view sealed_key, std::string_view clear_key, std::string_view bytes) {
    if (mode == OriginalBytes::kSealed) {
      AppendJsonKey(out, sealed_key);
      AppendJsonString(out, sealer_.Seal(bytes));
    } else if (mode == OriginalBytes::kClear) {
      AppendJsonKey(out, clear_key);
      AppendJsonString(out, Base64Encode(bytes));
    }
  };
  if (!record.value_null) part("original_sealed", "original_base64", record.raw);
  if (kafka && !record.key_null) part("original_key_sealed", "original_key_base64", record.key);
  if (!record.headers.empty()) {
    part("original_headers_sealed", "original_headers_base64", record.headers);
  }
  if (const std::string_view nulls = OriginalNulls(record); !nulls.empty()) {
    AppendJsonKey(out, "original_null");
    AppendJsonString(out, nulls);
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

namespace {

// Bytes for a person (`gongshi dlq show`): a JSON string when they are UTF-8, else their base64.
void AppendShownBytes(std::string& out, std::string_view bytes) {
  if (simdjson::validate_utf8(bytes.data(), bytes.size())) {
    AppendJsonString(out, bytes);
    return;
  }
  out.push_back('{');
  AppendJsonKey(out, "base64", true);
  AppendJsonString(out, Base64Encode(bytes));
  out.push_back('}');
}

void AppendShown(std::string& out, const OpenedBytes& bytes) {
  if (bytes.null) {
    out.append("null");
  } else {
    AppendShownBytes(out, bytes.bytes);
  }
}

bool Lists(std::string_view nulls, std::string_view part) {
  while (!nulls.empty()) {
    const size_t comma = nulls.find(',');
    if (nulls.substr(0, comma) == part) return true;
    if (comma == std::string_view::npos) break;
    nulls.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string OpenedDeadLetter::ToJson() const {
  std::string out = "{";
  AppendJsonKey(out, "reason", true);
  AppendShownBytes(out, reason);
  AppendJsonKey(out, "message");
  AppendShownBytes(out, message);
  AppendJsonKey(out, "source");
  out.push_back('{');
  AppendJsonKey(out, partition >= 0 ? "topic" : "name", true);
  AppendShownBytes(out, source);
  if (partition >= 0) {
    AppendJsonKey(out, "partition");
    AppendJsonInt(out, partition);
  }
  AppendJsonKey(out, "offset");
  AppendJsonInt(out, offset);
  if (line > 0) {
    AppendJsonKey(out, "line");
    AppendJsonInt(out, line);
  }
  out.push_back('}');
  if (dead_letter_partition >= 0) {
    AppendJsonKey(out, "dead_letter");
    out.push_back('{');
    AppendJsonKey(out, "partition", true);
    AppendJsonInt(out, dead_letter_partition);
    AppendJsonKey(out, "offset");
    AppendJsonInt(out, dead_letter_offset);
    out.push_back('}');
  }
  AppendJsonKey(out, "original");
  AppendJsonString(out, original);
  if (key.known) {
    AppendJsonKey(out, "key");
    AppendShown(out, key);
  }
  if (headers_known) {
    AppendJsonKey(out, "headers");
    out.push_back('[');
    for (size_t i = 0; i < headers.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.push_back('[');
      AppendShownBytes(out, headers[i].name);
      out.push_back(',');
      if (headers[i].null) {
        out.append("null");
      } else {
        AppendShownBytes(out, headers[i].value);
      }
      out.push_back(']');
    }
    out.push_back(']');
  }
  if (value.known) {
    AppendJsonKey(out, "value");
    AppendShown(out, value);
  }
  out.push_back('}');
  return out;
}

struct DeadLetterReader::Impl {
  const std::array<uint8_t, 32>* seal_key = nullptr;
  simdjson::dom::parser parser;

  // A sealed part's bytes; `what` names the part in the error.
  Result<std::string> Unseal(std::string_view sealed, std::string_view what) const {
    if (seal_key == nullptr) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("the {} is sealed and no HMAC key was found to open it", what));
    }
    auto opened = OriginalSealer::Unseal(sealed, *seal_key);
    if (!opened) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("the sealed {}: {}", what, opened.error().message()));
    }
    return opened;
  }

  // A part kept as the mode says (sealed, or base64 in a file's clear entry).
  Status Open(std::string_view kept, bool sealed, std::string_view what, OpenedBytes& out) const {
    auto opened = sealed ? Unseal(kept, what) : Base64Decode(kept);
    if (!opened) {
      return Fail(ErrorCode::kInvalidConfig,
                  sealed ? opened.error().message() : fmt::format("the {} is not base64", what));
    }
    out.known = true;
    out.bytes = std::move(*opened);
    return Ok();
  }

  static Status Headers(std::string_view block, OpenedDeadLetter& out) {
    HeaderReader reader(block);
    MessageHeader header;
    while (reader.Next(header)) {
      out.headers.push_back(
          {std::string(header.name), header.value_null, std::string(header.value)});
    }
    if (!reader.ok()) return Fail(ErrorCode::kInvalidConfig, "the original headers are garbled");
    out.headers_known = true;
    return Ok();
  }
};

DeadLetterReader::DeadLetterReader(const std::array<uint8_t, 32>* seal_key)
    : impl_(std::make_unique<Impl>()) {
  impl_->seal_key = seal_key;
}
DeadLetterReader::~DeadLetterReader() = default;

Result<OpenedDeadLetter> DeadLetterReader::OpenLine(std::string_view json_line) {
  simdjson::dom::object entry;
  std::string_view text;
  if (impl_->parser.parse(json_line.data(), json_line.size()).get(entry) ||
      entry["reason"].get(text)) {
    return Fail(ErrorCode::kInvalidConfig, "not a dead-letter entry (a JSON object with a reason)");
  }
  OpenedDeadLetter out;
  out.reason = text;
  if (!entry["message"].get(text)) out.message = text;
  simdjson::dom::object source;
  if (!entry["source"].get(source)) {
    int64_t n = 0;
    if (!source["name"].get(text)) out.source = text;
    if (!source["partition"].get(n)) out.partition = static_cast<int32_t>(n);
    if (!source["offset"].get(n)) out.offset = n;
    if (!source["line"].get(n)) out.line = n;
  }
  std::string_view sealed_value, clear_value, nulls;
  const bool has_sealed = !entry["original_sealed"].get(sealed_value);
  const bool has_clear = !entry["original_base64"].get(clear_value);
  if (entry["original_null"].get(nulls)) nulls = {};
  // Entries written before the mode was named say it by their keys.
  if (!entry["original"].get(text)) {
    out.original = text;
  } else {
    out.original = has_sealed ? "sealed" : has_clear ? "clear" : "omit";
  }
  const bool sealed = out.original == "sealed";
  const bool kafka = out.partition >= 0;
  if (Lists(nulls, "value")) {
    out.value = {true, true, {}};
  } else if (sealed ? has_sealed : has_clear) {
    if (auto ok =
            impl_->Open(sealed ? sealed_value : clear_value, sealed, "original value", out.value);
        !ok) {
      return Fail(ok.error());
    }
  }
  if (kafka) {
    if (Lists(nulls, "key")) {
      out.key = {true, true, {}};
    } else if (!entry[sealed ? "original_key_sealed" : "original_key_base64"].get(text)) {
      if (auto ok = impl_->Open(text, sealed, "original key", out.key); !ok)
        return Fail(ok.error());
    }
  }
  if (!entry[sealed ? "original_headers_sealed" : "original_headers_base64"].get(text)) {
    OpenedBytes block;
    if (auto ok = impl_->Open(text, sealed, "original headers", block); !ok)
      return Fail(ok.error());
    if (auto ok = Impl::Headers(block.bytes, out); !ok) return Fail(ok.error());
  } else if (kafka && out.key.known && out.original != "omit") {
    out.headers_known = true;  // an entry that keeps keys names its headers when it has any
  }
  return out;
}

Result<OpenedDeadLetter> DeadLetterReader::OpenMessage(const Record& message) {
  std::optional<std::string_view> reason, text, topic, partition, offset, original, nulls, headers;
  HeaderReader reader(message.headers);
  MessageHeader header;
  while (reader.Next(header)) {
    if (header.value_null) continue;
    for (auto [name, slot] : {std::pair{kHeaderReason, &reason},
                              {kHeaderMessage, &text},
                              {kHeaderSourceTopic, &topic},
                              {kHeaderSourcePartition, &partition},
                              {kHeaderSourceOffset, &offset},
                              {kHeaderOriginal, &original},
                              {kHeaderOriginalNull, &nulls},
                              {kHeaderOriginalHeaders, &headers}}) {
      if (header.name == name && !slot->has_value()) *slot = header.value;
    }
  }
  if (!reason) {
    return Fail(ErrorCode::kInvalidConfig,
                "not a gongshi dead-letter message (it has no gongshi.reason header)");
  }
  OpenedDeadLetter out;
  out.reason = *reason;
  out.message = text.value_or("");
  out.source = topic.value_or("");
  out.partition = static_cast<int32_t>(ParseInt(partition.value_or("")).value_or(-1));
  out.offset = ParseInt(offset.value_or("")).value_or(-1);
  out.dead_letter_partition = message.position.partition;
  out.dead_letter_offset = message.position.offset;
  if (!original) {
    // Written before the mode was named: the original bytes in clear, nothing else.
    out.original = "clear";
    out.value = {true, message.value_null, std::string(message.raw)};
    return out;
  }
  out.original = *original;
  const std::string_view null_parts = nulls.value_or("");
  const bool sealed = out.original == "sealed";
  const bool clear = out.original == "clear";
  if (!sealed && !clear && out.original != "omit") {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("gongshi.original is '{}', not sealed, clear or omit", out.original));
  }
  if (Lists(null_parts, "value")) {
    out.value = {true, true, {}};
  } else if (sealed) {
    if (auto ok = impl_->Open(message.raw, true, "original value", out.value); !ok) {
      return Fail(ok.error());
    }
  } else if (clear) {
    out.value = {true, false, std::string(message.raw)};
  }
  if (Lists(null_parts, "key")) {
    out.key = {true, true, {}};
  } else if (sealed && !message.key_null) {
    if (auto ok = impl_->Open(message.key, true, "original key", out.key); !ok) {
      return Fail(ok.error());
    }
  } else if (clear && !message.key_null) {
    out.key = {true, false, std::string(message.key)};
  }
  if (headers) {
    OpenedBytes block;
    if (auto ok = impl_->Open(*headers, sealed, "original headers", block); !ok) {
      return Fail(ok.error());
    }
    if (auto ok = Impl::Headers(block.bytes, out); !ok) return Fail(ok.error());
  } else if (sealed || clear) {
    out.headers_known = true;  // none
  }
  return out;
}

}  // namespace gongshi
