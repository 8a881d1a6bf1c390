// DeadLetterWriter: where rejected records go (OUT/dlq/, with reason code, message, source
// position and the original message: value, and for a Kafka message its key and headers) and
// where withheld records are accounted for (OUT/withheld/, with reason and position, no content).
// Written atomically per batch, like the feeds. The dead-letter topic's messages carry the same
// sealed parts (MakeDeadLetterTopicMessage), and DeadLetterReader opens both for `gongshi dlq
// show`.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/common/atomic_file.h"
#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/sink/kafka_producer.h"

namespace gongshi {

// How the dead-letter keeps a rejected message's original bytes, key and headers.
enum class OriginalBytes : uint8_t {
  kSealed,  // AES-256-GCM under a key derived from the HMAC key: no personal data in clear
  kClear,   // as they are (base64 in the file): for sources known to carry no personal data
  kOmit,    // not kept
};
Result<OriginalBytes> ParseOriginalBytes(std::string_view name);
std::string_view OriginalBytesName(OriginalBytes mode);  // "sealed", "clear", "omit"

// The labels the two dead-letter keys are derived from the HMAC key under (KeyedHash::DeriveKey):
// the service, the file pass and `gongshi dlq show` must derive the same.
inline constexpr std::string_view kDeadLetterSealKeyLabel = "gongshi dead-letter seal v1";
inline constexpr std::string_view kDeadLetterNonceKeyLabel = "gongshi dead-letter nonce v1";

// The headers gongshi puts on a dead-letter topic message, readable in every mode: they hold
// codes, positions and the reject's message (which names a field, never its value).
inline constexpr std::string_view kHeaderReason = "gongshi.reason";
inline constexpr std::string_view kHeaderMessage = "gongshi.message";
inline constexpr std::string_view kHeaderSourceTopic = "gongshi.source.topic";
inline constexpr std::string_view kHeaderSourcePartition = "gongshi.source.partition";
inline constexpr std::string_view kHeaderSourceOffset = "gongshi.source.offset";
// sealed | clear | omit: how the message's value, key and original headers are kept.
inline constexpr std::string_view kHeaderOriginal = "gongshi.original";
// "key", "value" or "key,value": what was null in the original (a tombstone's value, a message
// without a key), so that null is told from empty, whatever the mode.
inline constexpr std::string_view kHeaderOriginalNull = "gongshi.original.null";
// The original headers as one HeaderReader block: sealed (base64), or base64 in clear mode.
inline constexpr std::string_view kHeaderOriginalHeaders = "gongshi.original.headers";

// Seals one part of a rejected message (value, key or header block). The nonce is an HMAC of the
// bytes under `nonce_key`: the same bytes always seal alike (a batch re-made after a crash writes
// identical entries; the same key lands on the same partition of the dead-letter topic), and no
// nonce ever serves two different plaintexts.
class OriginalSealer {
 public:
  OriginalSealer(OriginalBytes mode, const std::array<uint8_t, 32>& seal_key,
                 const std::array<uint8_t, 32>& nonce_key);
  OriginalBytes mode() const { return mode_; }
  // base64 of nonce (12 bytes) | ciphertext | tag (16 bytes).
  std::string Seal(std::string_view bytes) const;
  // The bytes of a Seal value; an error for a wrong key or altered bytes.
  static Result<std::string> Unseal(std::string_view sealed_base64,
                                    const std::array<uint8_t, 32>& seal_key);

 private:
  OriginalBytes mode_;
  std::array<uint8_t, 32> seal_key_;
  std::array<uint8_t, 32> nonce_key_;
};

// What was null in a Kafka message, as kHeaderOriginalNull and the file's "original_null" say
// it; empty when nothing was, and for a record from a file.
std::string_view OriginalNulls(const Record& record);

// A reject as the dead-letter topic receives it. Sealed mode: the key is the sealed original key
// (null for a null key), the value the sealed bytes exactly as the file's "original_sealed",
// the original headers sealed in kHeaderOriginalHeaders. Clear: the original key and bytes as
// they are, the headers in clear (base64). Omit: no key, an empty value, no original headers.
// The value is never null: a tombstone's value is empty, with kHeaderOriginalNull "value".
struct DeadLetterTopicMessage {
  bool key_null = true;
  std::string key;
  std::string value;
  std::vector<ProducedHeader> headers;
};
void MakeDeadLetterTopicMessage(const Record& record, std::string_view source_topic,
                                std::string message, const OriginalSealer& sealer,
                                DeadLetterTopicMessage& out);

struct DeadLetterStats {
  uint64_t rejected = 0;
  uint64_t withheld = 0;
};

class DeadLetterWriter {
 public:
  // `seal_key` encrypts, `nonce_key` derives each part's nonce (see OriginalSealer).
  DeadLetterWriter(const SchemaSet& schemas, std::string out_dir, OriginalBytes mode,
                   const std::array<uint8_t, 32>& seal_key,
                   const std::array<uint8_t, 32>& nonce_key);
  Status Prepare();

  // Writes OUT/dlq/<seq>-<id>.ndjson for the batch's rejects and OUT/withheld/<seq>-<id>.ndjson
  // for its withheld records (each only if there are any).
  // Files are staged in `files`; they are durable once the caller commits it.
  //
  // An entry: reason, message, kind, field, source, batch_id, "original" (sealed|clear|omit),
  // original_bytes (the count), and as the mode says: original_sealed | original_base64 (the
  // value; absent for a tombstone), original_key_sealed | original_key_base64 (absent for a null
  // key), original_headers_sealed | original_headers_base64 (a HeaderReader block; absent
  // without headers), original_null (see OriginalNulls; absent when empty). Sealed parts end in
  // `_sealed`: the leak scan skips them as gongshi's own ciphertext.
  Status Write(const RecordBatch& batch, const BatchInfo& info, DurableFileSet& files,
               DeadLetterStats& stats);

  // The message of a reject as written in the dead-letter: the field's Chinese and canonical
  // name and what is wrong; never the field's value.
  std::string Message(const Record& record) const;

  // Recovers the original bytes from an `original_sealed` value.
  static Result<std::string> Unseal(std::string_view sealed_base64,
                                    const std::array<uint8_t, 32>& seal_key) {
    return OriginalSealer::Unseal(sealed_base64, seal_key);
  }

 private:
  void AppendEntry(const Record& record, const BatchInfo& info, std::string& out);

  const SchemaSet& schemas_;
  std::string out_dir_;
  OriginalSealer sealer_;
  std::string body_;
  std::string withheld_;
};

// One part of the original message as the dead-letter kept it, opened.
struct OpenedBytes {
  bool known = false;  // false: not kept (omit, a file's record has no key, an older entry)
  bool null = false;   // null (Kafka), told from empty
  std::string bytes;
};
struct OpenedHeader {
  std::string name;
  bool null = false;
  std::string value;
};
// A dead-letter entry or topic message, opened.
struct OpenedDeadLetter {
  std::string reason;
  std::string message;
  std::string source;      // the topic, or the input file's name
  int32_t partition = -1;  // -1: a file
  int64_t offset = -1;     // Kafka offset, or the line's byte offset in the file
  int64_t line = 0;        // a file's line; 0 for Kafka
  std::string original;    // sealed | clear | omit
  OpenedBytes value;
  OpenedBytes key;
  bool headers_known = false;
  std::vector<OpenedHeader> headers;
  // Where a topic message was read: the dead-letter topic's partition and offset.
  int32_t dead_letter_partition = -1;
  int64_t dead_letter_offset = -1;

  // One JSON object, as `gongshi dlq show` prints it: bytes that are UTF-8 as a string, others
  // as {"base64": ...}, null as null, a part that was not kept left out.
  std::string ToJson() const;
};

// Opens dead-letter entries: lines of OUT/dlq/*.ndjson, or messages of the dead-letter topic.
// `seal_key` (derived under kDeadLetterSealKeyLabel) may be null when no HMAC key was found:
// what is clear or omitted still opens, and a sealed part is an error that says a key is needed.
class DeadLetterReader {
 public:
  explicit DeadLetterReader(const std::array<uint8_t, 32>* seal_key);
  ~DeadLetterReader();
  DeadLetterReader(const DeadLetterReader&) = delete;
  DeadLetterReader& operator=(const DeadLetterReader&) = delete;

  Result<OpenedDeadLetter> OpenLine(std::string_view json_line);
  // A message as KafkaRangeReader stages it (value, key, headers). kInvalidConfig for a message
  // that is not gongshi's (no gongshi.reason header).
  Result<OpenedDeadLetter> OpenMessage(const Record& message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace gongshi
