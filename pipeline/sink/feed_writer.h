// FeedWriter: the file sink. Writes a batch's published records as NDJSON feed files (and, when
// configured, the national CSV template beside them), one per record kind, each with a manifest
// (batch id, counts, SHA-256, source positions, policy version, SHA-256 of the previous manifest
// of that feed), all atomically. File names carry the batch sequence and the deterministic batch
// id, so a batch re-made after a crash replaces itself.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/common/atomic_file.h"
#include "pipeline/common/sha256.h"  // manifests and batch ids name bytes by it
#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"
#include "pipeline/sink/csv_feed.h"

namespace gongshi {

// Where a batch came from and what it is called; the same for every sink of the batch.
struct BatchInfo {
  std::string batch_id;  // 32 hex characters, deterministic (see MakeBatchId)
  uint64_t sequence = 0;
  std::string source_name;  // the input path, "-" for stdin, or a topic
  uint64_t generation = 0;
  int32_t partition = -1;
  int64_t first_offset = 0;
  int64_t end_offset = 0;  // offset just after the batch
  int64_t first_line = 0;
  int64_t last_line = 0;
  std::string policy_version;
  std::string schema_version;
  // A replay batch (gongshi replay): re-publications under a new redaction policy.
  bool replay = false;
  // When the batch is published (Unix ms): the manifest's created_at and the audit ledger's
  // publication day. 0 = the system clock at the time of writing.
  int64_t published_ms = 0;
};

// sha256(source id, generation, partition, offset range, policy and schema versions) in hex,
// truncated to 128 bits: the same input range under the same policy always has the same id.
std::string MakeBatchId(std::string_view source_id, uint64_t generation, int32_t partition,
                        int64_t first_offset, int64_t end_offset, std::string_view policy_version,
                        std::string_view schema_version);

// Value formatting shared by the NDJSON and the CSV feed, so that both say the same thing.
// 0.01-yuan count as a 万元 decimal without trailing zeros: 1500000 -> "1.5" (no quotes).
void AppendWanYuan(std::string& out, int64_t cents);
// Why a withdrawn record is withdrawn, as a stable code: revoked, credit_repair, period_ended,
// withheld_minor, withheld_confidential, withheld_warning_only.
std::string_view WithdrawReason(const Record& record);
// What a withdrawal carries: enough for a site to find the published record by its natural key,
// and nothing personal.
inline constexpr std::array<std::string_view, 5> kWithdrawalKeyFields = {
    "authority_uscc", "authority_name", "decision_doc_no", "license_no", "decision_date"};

struct FeedOptions {
  // Also write the national CSV template, <stem>.csv beside <stem>.ndjson, staged in the same
  // DurableFileSet and named in the manifest (csv_file, csv_bytes, csv_sha256, csv_encoding).
  // Default: off.
  bool csv = false;
  // Default: UTF-8 with a BOM.
  CsvEncoding csv_encoding = CsvEncoding::kUtf8Bom;
};

struct FeedWriteStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t upserts = 0;
  uint64_t withdrawals = 0;
  // The NDJSON feed files written, relative to the output directory, in kind order (what the
  // Kafka feed sink sends and the HTTP outbox names).
  std::vector<std::string> feed_files;
  uint64_t lines() const { return upserts + withdrawals; }
};

// A part of a batch's feed lines (and CSV rows), rendered ahead on another core; Write then joins
// the parts in order instead of rendering the lines itself. Indexed by RecordKind.
struct RenderedPart {
  std::array<std::string, 3> lines;
  std::array<std::string, 3> rows;  // empty without CSV
  bool csv = false;                 // rows were rendered
  void Clear() {
    for (std::string& s : lines) s.clear();
    for (std::string& s : rows) s.clear();
    csv = false;
  }
};

// Thread-compatible; reuses its buffers. Render is const and may run on several cores at once
// (after Prepare); Write on one. Borrows `schemas`.
class FeedWriter {
 public:
  FeedWriter(const SchemaSet& schemas, std::string out_dir, FeedOptions options = {});
  // Creates OUT/feeds/<kind>/ and clears temporaries left by a crash; with CSV on, also makes the
  // CSV template (an unavailable GB18030 encoder fails here, at start-up, not at the first batch).
  Status Prepare();

  // Writes the feed file and manifest of every kind that has records to publish in `batch`, and
  // advances that kind's chain head in `chains` (indexed by RecordKind). Durable on return.
  // Files are staged in `files`; they are durable once the caller commits it.
  // With `rendered` (the batch's parts in order, from Render), the lines are those.
  Status Write(const RecordBatch& batch, const BatchInfo& info, std::array<ChainHead, 3>& chains,
               DurableFileSet& files, FeedWriteStats& stats,
               std::span<const RenderedPart> rendered = {});

  // Renders the feed lines (and CSV rows) of `records` that will be published, into `out`.
  void Render(std::span<const Record> records, RenderedPart& out) const;

  // The feed line of one record (exposed for tests).
  void AppendLine(const Record& record, std::string& out) const;

 private:
  Status EnsureCsv();

  const SchemaSet& schemas_;
  std::string out_dir_;
  FeedOptions options_;
  std::optional<CsvFeed> csv_;  // made by Prepare() (or the first Write()) when options_.csv
  std::string body_;
  std::string csv_body_;
  std::string manifest_;
};

// Walks every manifest under OUT/feeds: each feed file's SHA-256 and size (and the CSV's, where
// the manifest names one) must match its manifest, and each manifest must name its predecessor's
// SHA-256. Returns the number of manifests checked, or the first break in the chain.
// `committed`, when given (the state's chain heads, indexed by RecordKind): each kind's chain
// must hold the committed head's manifest, with its SHA-256. The chain alone cannot show that its
// newest batches were removed; the state can. Manifests after the head are allowed: a crash
// between the files and the commit leaves them, and the resumed run writes them again.
Result<uint64_t> VerifyFeedChain(const std::string& out_dir,
                                 const std::array<ChainHead, 3>* committed = nullptr);

}  // namespace gongshi
