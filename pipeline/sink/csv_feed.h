// CsvFeed: the national template (国家双公示模板) form of a feed file, written beside the NDJSON
// one: one CSV row per published record, with the standard's Chinese column names, RFC 4180
// quoting, cells neutralised against spreadsheet formula injection, and UTF-8 with a BOM (what
// Excel needs to see UTF-8) or GB18030 (what older Chinese office software expects).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <iconv.h>

#include "pipeline/record/error.h"
#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"

namespace gongshi {

enum class CsvEncoding : uint8_t {
  kUtf8Bom,  // UTF-8 starting with EF BB BF
  kGb18030,  // GB18030 as glibc iconv maps it; no BOM (none of its readers expects one)
};
// "utf-8-bom" or "gb18030": the manifest's csv_encoding and the config value.
std::string_view CsvEncodingName(CsvEncoding encoding);
// Accepts "utf-8-bom", "utf-8", "utf8" (all mean UTF-8 with a BOM) and "gb18030".
Result<CsvEncoding> ParseCsvEncoding(std::string_view name);

// The columns of a kind's CSV, in order:
//   操作        新增 (new upsert), 更正 (update: replaces the row with the same 记录标识),
//               撤销 (withdrawal)
//   记录标识    the record identity in hex, as the NDJSON record_id
//   <fields>    every published schema field (x-gongshi-publish not false) in schema order, under
//               its title without the side-channel note a title may carry in parentheses
//               ("当前状态 (legacy 2015 CF_ZT; ...)" -> 当前状态); the standard's own parentheses
//               stay (行政相对人代码_1(统一社会信用代码), 罚款金额（万元）)
//   撤销原因    withdrawals only: the NDJSON reason code (revoked, credit_repair, period_ended...)
// Values are those of the NDJSON line: dates YYYY-MM-DD, money in 万元 without trailing zeros.
// An upsert row leaves empty the fields the record lacks, except that an empty 公示截止期 is
// filled with the publication end the pipeline derived (NDJSON publication_end), because this
// column is the only way a template reader learns it. A withdrawal row fills only the natural
// key (the fields of the NDJSON withdrawal line) and 撤销原因.
//
// A cell starting with = + - @ TAB or CR gets a leading apostrophe (OWASP, CSV injection), so a
// spreadsheet shows it as text instead of running it; the NDJSON keeps the exact value.
//
// Borrows `schemas`. Thread-compatible; Finish() reuses a buffer and an iconv descriptor.
// Move-only.
class CsvFeed {
 public:
  // Fails when the GB18030 encoder is unavailable (glibc's gconv modules missing).
  static Result<CsvFeed> Create(const SchemaSet& schemas, CsvEncoding encoding);
  CsvFeed(CsvFeed&& other) noexcept;
  CsvFeed& operator=(CsvFeed&& other) noexcept;
  CsvFeed(const CsvFeed&) = delete;
  CsvFeed& operator=(const CsvFeed&) = delete;
  ~CsvFeed();

  CsvEncoding encoding() const { return encoding_; }
  // The header cells of `kind` in order, in UTF-8.
  const std::vector<std::string>& Header(RecordKind kind) const;

  // Starts a file in `out` (cleared): the BOM for kUtf8Bom, then the header row.
  void Begin(RecordKind kind, std::string& out) const;
  // Appends the row of a published, updated or withdrawn record (any other outcome: nothing).
  // Allocates nothing but `out`'s growth.
  void AppendRow(const Record& record, std::string& out) const;
  // Turns the UTF-8 text of Begin/AppendRow in `out` into the file's bytes, in place: nothing to do
  // for UTF-8; transcoded for GB18030, where a failure is an error naming the byte and line, never
  // a dropped or replaced character.
  Status Finish(std::string& out);

 private:
  struct KindColumns {
    const RecordSchema* schema = nullptr;
    std::vector<std::string> header;
    std::vector<int> fields;             // schema index of each field column
    std::array<bool, kMaxFields> key{};  // by schema index: filled in a withdrawal row
    int publish_until = -1;              // schema index of 公示截止期, or -1
  };
  CsvFeed(const SchemaSet& schemas, CsvEncoding encoding, iconv_t gb18030);
  const KindColumns& Columns(RecordKind kind) const {
    return kind == RecordKind::kLicense ? license_ : penalty_;
  }

  CsvEncoding encoding_;
  iconv_t gb18030_;  // UTF-8 -> GB18030; (iconv_t)-1 for kUtf8Bom
  KindColumns license_;
  KindColumns penalty_;
  std::string encoded_;
};

// Appends `text` as one CSV cell: an apostrophe first if it starts with a formula character, and
// in double quotes (inner quotes doubled) if it holds a comma, a quote, CR or LF. Exposed for
// tests.
void AppendCsvCell(std::string& out, std::string_view text);

}  // namespace gongshi
