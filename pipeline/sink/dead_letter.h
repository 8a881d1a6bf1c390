// DeadLetterWriter: where rejected records go (OUT/dlq/, with reason code, message, source
// position and the original bytes) and where withheld records are accounted for (OUT/withheld/,
// with reason and position, no content). Written atomically per batch, like the feeds.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"
#include "pipeline/sink/atomic_file.h"
#include "pipeline/sink/feed_writer.h"

namespace gongshi {

// How the dead-letter keeps a rejected message's original bytes.
enum class OriginalBytes : uint8_t {
  kSealed,  // AES-256-GCM under a key derived from the HMAC key: no personal data in clear
  kClear,   // base64: for sources known to carry no personal data
  kOmit,    // not kept
};
Result<OriginalBytes> ParseOriginalBytes(std::string_view name);

struct DeadLetterStats {
  uint64_t rejected = 0;
  uint64_t withheld = 0;
};

class DeadLetterWriter {
 public:
  // `seal_key` encrypts, `nonce_key` derives each message's nonce (HMAC of the bytes, so a batch
  // re-made after a crash writes identical entries and no nonce is ever reused for other bytes).
  DeadLetterWriter(const SchemaSet& schemas, std::string out_dir, OriginalBytes mode,
                   const std::array<uint8_t, 32>& seal_key,
                   const std::array<uint8_t, 32>& nonce_key);
  Status Prepare();

  // Writes OUT/dlq/<seq>-<id>.ndjson for the batch's rejects and OUT/withheld/<seq>-<id>.ndjson
  // for its withheld records (each only if there are any).
  // Files are staged in `files`; they are durable once the caller commits it.
  Status Write(const RecordBatch& batch, const BatchInfo& info, DurableFileSet& files,
               DeadLetterStats& stats);

  // The message of a reject as written in the dead-letter: the field's Chinese and canonical
  // name and what is wrong; never the field's value.
  std::string Message(const Record& record) const;

  // Recovers the original bytes from an `original_sealed` value.
  static Result<std::string> Unseal(std::string_view sealed_base64,
                                    const std::array<uint8_t, 32>& seal_key);

 private:
  void AppendEntry(const Record& record, const BatchInfo& info, std::string& out);
  std::string Seal(std::string_view bytes) const;

  const SchemaSet& schemas_;
  std::string out_dir_;
  OriginalBytes mode_;
  std::array<uint8_t, 32> seal_key_;
  std::array<uint8_t, 32> nonce_key_;
  std::string body_;
  std::string withheld_;
};

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace gongshi
