#include "pipeline/sink/feed_writer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include <simdjson.h>

#include "pipeline/common/atomic_file.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/common/json_out.h"

namespace gongshi {
namespace {

// "YYYY-MM-DD" as a JSON string, without a temporary.
void AppendJsonDate(std::string& out, int32_t day) {
  char date[10];
  FormatDateTo(day, date);
  AppendJsonString(out, std::string_view(date, sizeof(date)));
}

std::string UtcTimestamp(int64_t unix_ms) {
  if (unix_ms == 0) unix_ms = UnixMillisNow();
  const int64_t seconds = unix_ms / 1000;
  const int32_t day = static_cast<int32_t>(seconds / 86400);
  const int64_t rest = seconds % 86400;
  return fmt::format("{}T{:02}:{:02}:{:02}Z", FormatDate(day), rest / 3600, rest / 60 % 60,
                     rest % 60);
}

}  // namespace

void AppendWanYuan(std::string& out, int64_t cents) {
  AppendJsonInt(out, cents / 1'000'000);
  int64_t fraction = cents % 1'000'000;
  if (fraction == 0) return;
  char digits[7] = "000000";
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int last = 5;
  while (last > 0 && digits[last] == '0') --last;
  out.push_back('.');
  out.append(digits, static_cast<size_t>(last + 1));
}

std::string_view WithdrawReason(const Record& record) {
  if (record.repair_requested) return "credit_repair";
  switch (record.withhold_reason) {
    case WithholdReason::kMinor: return "withheld_minor";
    case WithholdReason::kConfidential: return "withheld_confidential";
    case WithholdReason::kWarningOnly: return "withheld_warning_only";
    case WithholdReason::kPeriodEnded: return "period_ended";
    case WithholdReason::kNone: break;
  }
  return "revoked";
}

std::string MakeBatchId(std::string_view source_id, uint64_t generation, int32_t partition,
                        int64_t first_offset, int64_t end_offset, std::string_view policy_version,
                        std::string_view schema_version) {
  const std::string key =
      fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", source_id, generation, partition,
                  first_offset, end_offset, policy_version, schema_version);
  const auto digest = Sha256(key);
  return HexEncode(digest.data(), 16);
}

FeedWriter::FeedWriter(const SchemaSet& schemas, std::string out_dir, FeedOptions options)
    : schemas_(schemas), out_dir_(std::move(out_dir)), options_(options) {}

Status FeedWriter::Prepare() {
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    const std::string dir = fmt::format("{}/feeds/{}", out_dir_, RecordKindName(kind));
    if (auto made = EnsureDirectory(dir); !made) return made;
    RemoveStaleTemporaries(dir);
  }
  return EnsureCsv();
}

Status FeedWriter::EnsureCsv() {
  if (!options_.csv || csv_) return Ok();
  auto csv = CsvFeed::Create(schemas_, options_.csv_encoding);
  if (!csv) return Fail(csv.error());
  csv_.emplace(std::move(*csv));
  return Ok();
}

void FeedWriter::AppendLine(const Record& record, std::string& out) const {
  const RecordSchema& schema = schemas_.For(record.kind);
  const bool withdrawal = record.outcome == Outcome::kWithdrawn;
  out.push_back('{');
  AppendJsonKey(out, "op", true);
  AppendJsonString(out, withdrawal ? "withdraw" : "upsert");
  AppendJsonKey(out, "kind");
  AppendJsonString(out, RecordKindName(record.kind));
  AppendJsonKey(out, "record_id");
  AppendJsonString(out, HexEncode(record.identity));
  if (withdrawal) {
    AppendJsonKey(out, "reason");
    AppendJsonString(out, WithdrawReason(record));
    for (std::string_view name : kWithdrawalKeyFields) {
      const int f = schema.FieldIndex(name);
      if (f < 0 || !record.present.test(f)) continue;
      AppendJsonKey(out, name);
      if (schema.field(f).format == FieldFormat::kDate) {
        AppendJsonDate(out, static_cast<int32_t>(record.values[f]));
      } else {
        AppendJsonString(out, record.fields[f]);
      }
    }
    out.append("}\n");
    return;
  }
  AppendJsonKey(out, "change");
  AppendJsonString(out, record.outcome == Outcome::kUpdated ? "update" : "new");
  if (record.deadline_day != 0) {
    AppendJsonKey(out, "deadline");
    AppendJsonDate(out, record.deadline_day);
    if (record.deadline_provisional) {
      AppendJsonKey(out, "deadline_provisional");
      out.append("true");
    }
  }
  if (record.publication_end_day != 0) {
    // Until when the site shows it; derived ends come from schemas/publication_periods.json.
    AppendJsonKey(out, "publication_end");
    AppendJsonDate(out, record.publication_end_day);
    if (record.publication_end_derived) {
      AppendJsonKey(out, "publication_end_derived");
      out.append("true");
    }
  }
  for (int i = 0; i < schema.field_count(); ++i) {
    if (!record.present.test(i)) continue;
    const FieldSpec& spec = schema.field(i);
    AppendJsonKey(out, spec.name);
    switch (spec.format) {
      case FieldFormat::kDate: AppendJsonDate(out, static_cast<int32_t>(record.values[i])); break;
      case FieldFormat::kMoneyWanYuan:
        out.push_back('"');
        AppendWanYuan(out, record.values[i]);
        out.push_back('"');
        break;
      default: AppendJsonString(out, record.fields[i]);
    }
  }
  out.append("}\n");
}

void FeedWriter::Render(std::span<const Record> records, RenderedPart& out) const {
  out.Clear();
  out.csv = csv_.has_value();
  for (const Record& record : records) {
    if (record.outcome != Outcome::kPublished && record.outcome != Outcome::kUpdated &&
        record.outcome != Outcome::kWithdrawn) {
      continue;
    }
    const size_t kind = static_cast<size_t>(record.kind);
    AppendLine(record, out.lines[kind]);
    if (csv_) csv_->AppendRow(record, out.rows[kind]);
  }
}

Status FeedWriter::Write(const RecordBatch& batch, const BatchInfo& info,
                         std::array<ChainHead, 3>& chains, DurableFileSet& files,
                         FeedWriteStats& stats, std::span<const RenderedPart> rendered) {
  if (auto made = EnsureCsv(); !made) return made;
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    body_.clear();
    if (csv_) csv_->Begin(kind, csv_body_);
    uint64_t upserts = 0, withdrawals = 0, updates = 0;
    const bool joined = !rendered.empty();
    const bool joined_rows = joined && rendered.front().csv;
    for (const Record& record : batch.records) {
      if (record.kind != kind) continue;
      if (record.outcome == Outcome::kPublished || record.outcome == Outcome::kUpdated) {
        ++upserts;
        updates += record.outcome == Outcome::kUpdated;
      } else if (record.outcome == Outcome::kWithdrawn) {
        ++withdrawals;
      } else {
        continue;
      }
      if (!joined) AppendLine(record, body_);
      if (csv_ && !joined_rows) csv_->AppendRow(record, csv_body_);
    }
    for (const RenderedPart& part : rendered) {
      body_.append(part.lines[static_cast<size_t>(kind)]);
      if (csv_ && joined_rows) csv_body_.append(part.rows[static_cast<size_t>(kind)]);
    }
    if (upserts + withdrawals == 0) continue;

    const std::string stem = fmt::format("{:010}-{}", info.sequence, info.batch_id);
    const std::string dir = fmt::format("{}/feeds/{}", out_dir_, RecordKindName(kind));
    if (auto written = files.Stage(dir + "/" + stem + ".ndjson", body_); !written) {
      return written;
    }
    std::array<uint8_t, 32> csv_sha{};
    if (csv_) {
      if (auto encoded = csv_->Finish(csv_body_); !encoded) {
        return Fail(encoded.error().code(),
                    fmt::format("{}/{}.csv: {}", dir, stem, encoded.error().message()));
      }
      if (auto written = files.Stage(dir + "/" + stem + ".csv", csv_body_); !written) {
        return written;
      }
      csv_sha = Sha256(csv_body_);
    }
    ChainHead& chain = chains[static_cast<size_t>(kind)];
    const auto body_sha = Sha256(body_);
    manifest_.clear();
    manifest_.push_back('{');
    AppendJsonKey(manifest_, "batch_id", true);
    AppendJsonString(manifest_, info.batch_id);
    AppendJsonKey(manifest_, "batch_sequence");
    AppendJsonUint(manifest_, info.sequence);
    AppendJsonKey(manifest_, "kind");
    AppendJsonString(manifest_, RecordKindName(kind));
    AppendJsonKey(manifest_, "chain_sequence");
    AppendJsonUint(manifest_, chain.sequence + 1);
    AppendJsonKey(manifest_, "feed_file");
    AppendJsonString(manifest_, stem + ".ndjson");
    AppendJsonKey(manifest_, "records");
    AppendJsonUint(manifest_, upserts + withdrawals);
    AppendJsonKey(manifest_, "counts");
    manifest_.push_back('{');
    AppendJsonKey(manifest_, "upsert", true);
    AppendJsonUint(manifest_, upserts);
    AppendJsonKey(manifest_, "new");
    AppendJsonUint(manifest_, upserts - updates);
    AppendJsonKey(manifest_, "update");
    AppendJsonUint(manifest_, updates);
    AppendJsonKey(manifest_, "withdraw");
    AppendJsonUint(manifest_, withdrawals);
    manifest_.push_back('}');
    AppendJsonKey(manifest_, "bytes");
    AppendJsonUint(manifest_, body_.size());
    AppendJsonKey(manifest_, "sha256");
    AppendJsonString(manifest_, HexEncode(body_sha.data(), body_sha.size()));
    if (csv_) {
      AppendJsonKey(manifest_, "csv_file");
      AppendJsonString(manifest_, stem + ".csv");
      AppendJsonKey(manifest_, "csv_encoding");
      AppendJsonString(manifest_, CsvEncodingName(csv_->encoding()));
      AppendJsonKey(manifest_, "csv_bytes");
      AppendJsonUint(manifest_, csv_body_.size());
      AppendJsonKey(manifest_, "csv_sha256");
      AppendJsonString(manifest_, HexEncode(csv_sha.data(), csv_sha.size()));
    }
    AppendJsonKey(manifest_, "source");
    manifest_.push_back('{');
    AppendJsonKey(manifest_, "name", true);
    AppendJsonString(manifest_, info.source_name);
    AppendJsonKey(manifest_, "generation");
    AppendJsonUint(manifest_, info.generation);
    if (info.partition >= 0) {
      AppendJsonKey(manifest_, "partition");
      AppendJsonInt(manifest_, info.partition);
    }
    AppendJsonKey(manifest_, "first_offset");
    AppendJsonInt(manifest_, info.first_offset);
    AppendJsonKey(manifest_, "end_offset");
    AppendJsonInt(manifest_, info.end_offset);
    if (info.first_line > 0) {
      AppendJsonKey(manifest_, "first_line");
      AppendJsonInt(manifest_, info.first_line);
      AppendJsonKey(manifest_, "last_line");
      AppendJsonInt(manifest_, info.last_line);
    }
    manifest_.push_back('}');
    AppendJsonKey(manifest_, "policy_version");
    AppendJsonString(manifest_, info.policy_version);
    AppendJsonKey(manifest_, "schema_version");
    AppendJsonString(manifest_, info.schema_version);
    if (info.replay) {
      AppendJsonKey(manifest_, "replay");
      manifest_.append("true");
    }
    AppendJsonKey(manifest_, "previous_manifest_sha256");
    AppendJsonString(manifest_, chain.sequence == 0 ? std::string(64, '0')
                                                    : HexEncode(chain.manifest_sha256.data(), 32));
    AppendJsonKey(manifest_, "created_at");
    AppendJsonString(manifest_, UtcTimestamp(info.published_ms));
    manifest_.append("}\n");
    if (auto written = files.Stage(dir + "/" + stem + ".manifest.json", manifest_); !written) {
      return written;
    }
    chain.sequence += 1;
    chain.manifest_sha256 = Sha256(manifest_);
    stats.files += csv_ ? 3 : 2;
    stats.bytes += body_.size() + manifest_.size() + (csv_ ? csv_body_.size() : 0);
    stats.upserts += upserts;
    stats.withdrawals += withdrawals;
    stats.feed_files.push_back(fmt::format("feeds/{}/{}.ndjson", RecordKindName(kind), stem));
  }
  return Ok();
}

Result<uint64_t> VerifyFeedChain(const std::string& out_dir,
                                 const std::array<ChainHead, 3>* committed) {
  uint64_t checked = 0;
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    const std::string dir = fmt::format("{}/feeds/{}", out_dir, RecordKindName(kind));
    const uint64_t head =
        committed != nullptr ? (*committed)[static_cast<size_t>(kind)].sequence : 0;
    std::error_code error;
    if (!std::filesystem::exists(dir, error)) {
      if (head > 0) {
        return Fail(
            ErrorCode::kInternal,
            fmt::format("{}: missing, but the state committed {} manifests there", dir, head));
      }
      continue;
    }
    std::map<uint64_t, std::string> by_chain;  // chain_sequence -> manifest path
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      const std::string name = entry.path().filename().string();
      if (name.size() < 15 || name.substr(name.size() - 14) != ".manifest.json") continue;
      auto text = ReadSmallFile(entry.path().string());
      if (!text) return Fail(text.error());
      simdjson::dom::parser parser;
      simdjson::dom::element manifest;
      uint64_t sequence = 0;
      if (parser.parse(*text).get(manifest) || manifest["chain_sequence"].get(sequence)) {
        return Fail(ErrorCode::kInternal, fmt::format("{}: not a gongshi manifest", name));
      }
      if (!by_chain.emplace(sequence, entry.path().string()).second) {
        return Fail(ErrorCode::kInternal,
                    fmt::format("{}: two manifests claim chain position {}", dir, sequence));
      }
    }
    std::string previous(64, '0');
    uint64_t expected = 1;
    for (const auto& [sequence, path] : by_chain) {
      if (sequence != expected) {
        return Fail(ErrorCode::kInternal,
                    fmt::format("{}: chain position {} is missing", dir, expected));
      }
      ++expected;
      auto text = ReadSmallFile(path);
      if (!text) return Fail(text.error());
      simdjson::dom::parser parser;
      simdjson::dom::element manifest;
      std::string_view previous_claimed, feed_file, sha;
      uint64_t bytes = 0;
      if (parser.parse(*text).get(manifest) ||
          manifest["previous_manifest_sha256"].get(previous_claimed) ||
          manifest["feed_file"].get(feed_file) || manifest["sha256"].get(sha) ||
          manifest["bytes"].get(bytes)) {
        return Fail(ErrorCode::kInternal, fmt::format("{}: not a gongshi manifest", path));
      }
      if (previous_claimed != previous) {
        return Fail(ErrorCode::kInternal,
                    fmt::format("{}: names previous manifest {} but the chain has {}", path,
                                previous_claimed, previous));
      }
      auto body = ReadSmallFile(dir + "/" + std::string(feed_file), 1ull << 32);
      if (!body) return Fail(body.error());
      const auto body_sha = Sha256(*body);
      if (HexEncode(body_sha.data(), 32) != sha || body->size() != bytes) {
        return Fail(ErrorCode::kInternal,
                    fmt::format("{}: its feed file {} does not match (altered or truncated)", path,
                                feed_file));
      }
      // The CSV template, where the manifest names one, is held to the same standard.
      std::string_view csv_file, csv_sha;
      uint64_t csv_bytes = 0;
      if (!manifest["csv_file"].get(csv_file)) {
        if (manifest["csv_sha256"].get(csv_sha) || manifest["csv_bytes"].get(csv_bytes)) {
          return Fail(ErrorCode::kInternal,
                      fmt::format("{}: names csv file {} without its csv_sha256 and csv_bytes",
                                  path, csv_file));
        }
        auto csv = ReadSmallFile(dir + "/" + std::string(csv_file), 1ull << 32);
        if (!csv) return Fail(csv.error());
        const auto csv_digest = Sha256(*csv);
        if (HexEncode(csv_digest.data(), 32) != csv_sha || csv->size() != csv_bytes) {
          return Fail(ErrorCode::kInternal,
                      fmt::format("{}: its csv file {} does not match (altered or truncated)", path,
                                  csv_file));
        }
      }
      const auto manifest_sha = Sha256(*text);
      previous = HexEncode(manifest_sha.data(), 32);
      ++checked;
      if (sequence == head) {
        if (manifest_sha != (*committed)[static_cast<size_t>(kind)].manifest_sha256) {
          return Fail(ErrorCode::kInternal,
                      fmt::format("{}: is not the manifest the state committed at chain position "
                                  "{} (replaced)",
                                  path, sequence));
        }
      }
    }
    if (head >= expected) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("{}: the state committed {} manifests, the chain ends at {}: chain "
                              "position {}{} is missing (the newest batch removed)",
                              dir, head, expected - 1, expected,
                              head > expected ? fmt::format("..{}", head) : std::string()));
    }
  }
  return checked;
}

}  // namespace gongshi
