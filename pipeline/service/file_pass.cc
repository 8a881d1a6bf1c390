#include "pipeline/service/file_pass.h"

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>

#include "pipeline/common/json_out.h"
#include "pipeline/sink/http_delivery.h"
#include "pipeline/source/ndjson_source.h"

namespace gongshi {
namespace {

// Recognises the same file at resume: the first 64 KiB, hashed.
Digest128 HeadHash(std::string_view head) {
  const auto digest = Sha256(head);
  Digest128 out;
  std::memcpy(out.data(), digest.data(), out.size());
  return out;
}

// The source id names the input in the state store: a hash of the absolute path (a path may
// contain a person's name, so it is not stored in clear).
std::string SourceId(const std::string& input) {
  if (input == "-") return "stdin";
  std::error_code error;
  const std::string absolute = std::filesystem::weakly_canonical(input, error).string();
  const auto digest = Sha256("file:" + (error ? input : absolute));
  return "file:" + HexEncode(digest.data(), 16);
}

}  // namespace

Result<RunSummary> RunFilePass(const FilePassOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  RunSummary summary;
  summary.out_dir = options.out_dir;
  summary.state_dir = !options.state_dir.empty()          ? options.state_dir
                      : !options.config.state.dir.empty() ? options.config.state.dir
                                                          : options.out_dir + "/state";
  if (options.input != "-") {
    std::error_code error;
    if (!std::filesystem::is_regular_file(options.input, error)) {
      return Fail(ErrorCode::kIo, fmt::format("input {} is not a readable file", options.input));
    }
  }
  auto parts = OpenPipelineParts(options.config, summary.state_dir);
  if (!parts) return Fail(parts.error());
  auto pipeline = Pipeline::Create(options.config, *parts, options.out_dir);
  if (!pipeline) return Fail(pipeline.error());

  const std::string source_id = SourceId(options.input);
  auto head = NdjsonSource::ReadHead(options.input);
  if (!head) return Fail(head.error());
  const Digest128 head_hash = HeadHash(*head);
  auto stored = parts->store->GetProgress(source_id);
  if (!stored) return Fail(stored.error());

  // Resume an interrupted pass over the same file; otherwise start a new pass (a second run over
  // a finished file reads it all again and finds duplicates).
  SourceProgress progress;
  const bool resumable = stored->has_value() && !(*stored)->completed &&
                         (*stored)->head == head_hash && options.input != "-";
  if (resumable) {
    progress = **stored;
    summary.resumed = true;
    summary.resumed_from_line = progress.next_line;
  } else {
    progress.generation = stored->has_value() ? (*stored)->generation + 1 : 1;
    progress.head = head_hash;
  }
  progress.reject_reasons.resize(AllRejectReasons().size() + 1);
  progress.withhold_reasons.resize(kWithholdReasonCount);
  summary.generation = progress.generation;

  auto source = NdjsonSource::Open({.path = options.input,
                                    .start_offset = progress.next_offset,
                                    .start_line = progress.next_line,
                                    .max_record_bytes = options.config.input.max_record_bytes});
  if (!source) return Fail(source.error());

  // Three threads, one batch each: a reader fills and prepares (parses, validates) batch k+2,
  // this thread decides batch k+1 (dedupe, redaction, rendering, its state write), and a commit
  // thread writes batch k's files, syncs them and commits its state. The source is read only
  // after the last batch was handed over, so it is used by one thread at a time, and progress is
  // taken from the batch's own read, not from where the reader is now. Batch k+1 is decided
  // against k's states before k commits (Pipeline::Decide), and committed only after k is.
  struct Read {
    bool more = false;
    int64_t first_offset = 0;
    int64_t end_offset = 0;
    int64_t next_line = 0;
  };
  const size_t max_records = options.config.batch.max_records;
  const size_t max_bytes = options.config.batch.max_bytes;
  auto read_next = [&source, &pipeline, max_records,
                    max_bytes](RecordBatch& batch) -> Result<Read> {
    Read read;
    read.first_offset = (*source)->offset();
    auto filled = (*source)->Fill(batch, max_records, max_bytes);
    if (!filled) return Fail(filled.error());
    read.more = *filled;
    read.end_offset = (*source)->offset();
    read.next_line = (*source)->line();
    if (read.more) (*pipeline)->Prepare(batch);
    return read;
  };
  std::array<RecordBatch, 3> batches;
  std::array<Pipeline::Decided, 2> decided;
  // The futures join their threads in their destructors, also on an early return, and are
  // destroyed before the batches they use.
  std::future<Result<Read>> next = std::async(std::launch::async, read_next, std::ref(batches[0]));
  std::future<Status> committing;
  const Pipeline::Decided* uncommitted = nullptr;
  auto last_commit = [&]() -> Status {
    if (!committing.valid()) return Ok();
    return committing.get();
  };
  for (size_t k = 0;; ++k) {
    auto got = next.get();
    if (!got) return Fail(got.error());
    if (!got->more) break;
    next = std::async(std::launch::async, read_next, std::ref(batches[(k + 1) % 3]));
    RecordBatch& batch = batches[k % 3];
    BatchInfo info;
    info.source_name = options.input;
    info.generation = progress.generation;
    info.first_offset = got->first_offset;
    info.end_offset = got->end_offset;
    info.first_line = batch.records.front().position.line;
    info.last_line = batch.records.back().position.line;
    progress.next_offset = got->end_offset;
    progress.next_line = got->next_line;
    Pipeline::Decided& out = decided[k % 2];
    if (auto done =
            (*pipeline)->Decide(batch, info, source_id, progress, nullptr, uncommitted, out);
        !done) {
      return Fail(done.error());
    }
    if (auto done = last_commit(); !done) return Fail(done.error());
    committing =
        std::async(std::launch::async, [&pipeline, &out] { return (*pipeline)->Commit(out); });
    uncommitted = &out;
  }
  if (auto done = last_commit(); !done) return Fail(done.error());
  // Mark the pass complete so the next run over this file starts a new pass.
  progress.completed = true;
  progress.next_offset = (*source)->offset();
  progress.next_line = (*source)->line();
  StateStore::Transaction transaction;
  transaction.PutProgress(source_id, progress);
  if (auto committed = parts->store->Commit(transaction); !committed) {
    return Fail(committed.error());
  }

  // The daily sweep runs with every pass: periods that ended by today are withdrawn.
  auto swept = (*pipeline)->Sweep();
  if (!swept) return Fail(swept.error());
  summary.expiry_withdrawals = swept->withdrawn;

  // The HTTP sink: deliver what this pass (and any earlier one) committed.
  auto pending = DrainHttp(options.config, *parts->store, options.out_dir);
  if (!pending) return Fail(pending.error());
  summary.http = options.config.http.enabled;
  summary.http_pending = *pending;

  summary.counts.Add(progress);
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace gongshi
