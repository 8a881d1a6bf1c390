#include "pipeline/sink/csv_feed.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "pipeline/common/civil_date.h"
#include "pipeline/sink/feed_writer.h"

namespace gongshi {
namespace {

const iconv_t kNoIconv = reinterpret_cast<iconv_t>(-1);

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kFullWidthOpen = "\xEF\xBC\x88";   // （
constexpr std::string_view kFullWidthClose = "\xEF\xBC\x89";  // ）

// Spreadsheets run a cell that starts with one of these as a formula (OWASP: CSV injection).
bool StartsLikeFormula(std::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r': return true;
    default: return false;
  }
}

// The standard's column name from a schema title: the title without a parenthesised note in
// English ("当前状态 (legacy 2015 CF_ZT; current feeds omit it)" -> "当前状态"). The standard's own
// parentheses hold Chinese only (行政相对人代码_1(统一社会信用代码), 罚款金额（万元）) and stay.
std::string StandardColumnName(std::string_view title) {
  size_t at = 0;
  while (at < title.size()) {
    size_t open = at;
    size_t open_size = 0;
    for (; open < title.size(); ++open) {
      if (title[open] == '(') {
        open_size = 1;
        break;
      }
      if (title.substr(open, kFullWidthOpen.size()) == kFullWidthOpen) {
        open_size = kFullWidthOpen.size();
        break;
      }
    }
    if (open_size == 0) break;
    size_t close = open + open_size;
    while (close < title.size() && title[close] != ')' &&
           title.substr(close, kFullWidthClose.size()) != kFullWidthClose) {
      ++close;
    }
    const std::string_view inside = title.substr(open + open_size, close - open - open_size);
    const bool english = std::any_of(inside.begin(), inside.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    });
    if (english) {
      std::string_view name = title.substr(0, open);
      while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
      return std::string(name);
    }
    at = close + 1;
  }
  return std::string(title);
}

void AppendDateCell(std::string& out, int32_t day) {
  char date[10];
  FormatDateTo(day, date);
  AppendCsvCell(out, std::string_view(date, sizeof(date)));
}

void AppendMoneyCell(std::string& out, int64_t cents) {
  // Never quoted (digits and a point); guarded like any cell, although the validator rejects a
  // negative amount before it gets here.
  const size_t start = out.size();
  AppendWanYuan(out, cents);
  if (StartsLikeFormula(std::string_view(out).substr(start))) out.insert(start, 1, '\'');
}

}  // namespace

std::string_view CsvEncodingName(CsvEncoding encoding) {
  switch (encoding) {
    case CsvEncoding::kUtf8Bom: return "utf-8-bom";
    case CsvEncoding::kGb18030: return "gb18030";
  }
  return "unknown";
}

Result<CsvEncoding> ParseCsvEncoding(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower == "utf-8-bom" || lower == "utf-8" || lower == "utf8") return CsvEncoding::kUtf8Bom;
  if (lower == "gb18030") return CsvEncoding::kGb18030;
  return Fail(ErrorCode::kInvalidConfig,
              fmt::format("csv encoding '{}' is not supported (use utf-8-bom or gb18030)", name));
}

void AppendCsvCell(std::string& out, std::string_view text) {
  const bool guard = StartsLikeFormula(text);
  // RFC 4180 §2.6: a cell holding a comma, a quote or a line break is quoted.
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    if (guard) out.push_back('\'');
    out.append(text);
    return;
  }
  out.push_back('"');
  if (guard) out.push_back('\'');
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '"') continue;
    out.append(text.data() + run, i + 1 - run);  // through the quote, which is then doubled
    out.push_back('"');
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

Result<CsvFeed> CsvFeed::Create(const SchemaSet& schemas, CsvEncoding encoding) {
  iconv_t gb18030 = kNoIconv;
  if (encoding == CsvEncoding::kGb18030) {
    gb18030 = iconv_open("GB18030", "UTF-8");
    if (gb18030 == kNoIconv) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("csv feed: iconv cannot encode GB18030 ({}); glibc's gconv "
                              "modules are missing from this system",
                              std::strerror(errno)));
    }
  }
  return CsvFeed(schemas, encoding, gb18030);
}

CsvFeed::CsvFeed(const SchemaSet& schemas, CsvEncoding encoding, iconv_t gb18030)
    : encoding_(encoding), gb18030_(gb18030) {
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    KindColumns& columns = kind == RecordKind::kLicense ? license_ : penalty_;
    const RecordSchema& schema = schemas.For(kind);
    columns.schema = &schema;
    columns.header = {"操作", "记录标识"};
    for (int i = 0; i < schema.field_count(); ++i) {
      const FieldSpec& spec = schema.field(i);
      if (!spec.publish) continue;
      columns.header.push_back(spec.title.empty() ? spec.name : StandardColumnName(spec.title));
      columns.fields.push_back(i);
    }
    columns.header.emplace_back("撤销原因");
    for (std::string_view name : kWithdrawalKeyFields) {
      const int f = schema.FieldIndex(name);
      if (f >= 0) columns.key[static_cast<size_t>(f)] = true;
    }
    columns.publish_until = schema.FieldIndex("publish_until");
  }
}

CsvFeed::CsvFeed(CsvFeed&& other) noexcept
    : encoding_(other.encoding_),
      gb18030_(std::exchange(other.gb18030_, kNoIconv)),
      license_(std::move(other.license_)),
      penalty_(std::move(other.penalty_)),
      encoded_(std::move(other.encoded_)) {}

CsvFeed& CsvFeed::operator=(CsvFeed&& other) noexcept {
  if (this == &other) return *this;
  if (gb18030_ != kNoIconv) iconv_close(gb18030_);
  encoding_ = other.encoding_;
  gb18030_ = std::exchange(other.gb18030_, kNoIconv);
  license_ = std::move(other.license_);
  penalty_ = std::move(other.penalty_);
  encoded_ = std::move(other.encoded_);
  return *this;
}

CsvFeed::~CsvFeed() {
  if (gb18030_ != kNoIconv) iconv_close(gb18030_);
}

const std::vector<std::string>& CsvFeed::Header(RecordKind kind) const {
  return Columns(kind).header;
}

void CsvFeed::Begin(RecordKind kind, std::string& out) const {
  out.clear();
  if (encoding_ == CsvEncoding::kUtf8Bom) out.append(kUtf8Bom);
  const std::vector<std::string>& header = Columns(kind).header;
  for (size_t i = 0; i < header.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvCell(out, header[i]);
  }
  out.append("\r\n");
}

void CsvFeed::AppendRow(const Record& record, std::string& out) const {
  std::string_view op;
  switch (record.outcome) {
    case Outcome::kPublished: op = "新增"; break;
    case Outcome::kUpdated: op = "更正"; break;
    case Outcome::kWithdrawn: op = "撤销"; break;
    default: return;
  }
  if (record.kind != RecordKind::kLicense && record.kind != RecordKind::kPenalty) return;
  const KindColumns& columns = Columns(record.kind);
  const bool withdrawal = record.outcome == Outcome::kWithdrawn;
  out.append(op);
  out.push_back(',');
  static constexpr char kHex[] = "0123456789abcdef";
  for (const uint8_t byte : record.identity) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  for (const int f : columns.fields) {
    out.push_back(',');
    if (withdrawal && !columns.key[static_cast<size_t>(f)]) continue;
    if (!record.present.test(static_cast<size_t>(f))) {
      if (!withdrawal && f == columns.publish_until && record.publication_end_day != 0) {
        AppendDateCell(out, record.publication_end_day);
      }
      continue;
    }
    switch (columns.schema->field(f).format) {
      case FieldFormat::kDate: AppendDateCell(out, static_cast<int32_t>(record.values[f])); break;
      case FieldFormat::kMoneyWanYuan: AppendMoneyCell(out, record.values[f]); break;
      default: AppendCsvCell(out, record.fields[f]);
    }
  }
  out.push_back(',');
  if (withdrawal) AppendCsvCell(out, WithdrawReason(record));
  out.append("\r\n");
}

Status CsvFeed::Finish(std::string& out) {
  if (encoding_ == CsvEncoding::kUtf8Bom) return Ok();
  if (gb18030_ == kNoIconv) {
    return Fail(ErrorCode::kInternal, "csv feed: the GB18030 encoder is not open");
  }
  // A UTF-8 character of n bytes becomes at most 4 GB18030 bytes, and 2n for n >= 2 (one byte
  // stays one byte): twice the input is enough; E2BIG still grows the buffer rather than fail.
  encoded_.resize(out.size() * 2 + 16);
  iconv(gb18030_, nullptr, nullptr, nullptr, nullptr);  // reset the conversion state
  char* in = out.data();
  size_t in_left = out.size();
  char* dst = encoded_.data();
  size_t out_left = encoded_.size();
  for (bool flushing = false;;) {
    const size_t converted = flushing ? iconv(gb18030_, nullptr, nullptr, &dst, &out_left)
                                      : iconv(gb18030_, &in, &in_left, &dst, &out_left);
    const int error = errno;
    if (converted != static_cast<size_t>(-1)) {
      if (converted != 0) {
        // glibc counts characters it converted irreversibly (replaced); a feed must not alter a
        // character silently.
        return Fail(ErrorCode::kInternal,
                    fmt::format("csv feed: iconv replaced {} character(s) while encoding GB18030",
                                converted));
      }
      if (flushing) break;
      flushing = true;
      continue;
    }
    if (error == E2BIG) {
      const size_t used = static_cast<size_t>(dst - encoded_.data());
      encoded_.resize(encoded_.size() * 2);
      dst = encoded_.data() + used;
      out_left = encoded_.size() - used;
      continue;
    }
    // EILSEQ or EINVAL: the text is not valid UTF-8 there (records are, so this is a bug). The
    // message names the place, not the value, which may be personal data.
    const size_t at = static_cast<size_t>(in - out.data());
    const size_t line = 1 + static_cast<size_t>(std::count(out.data(), in, '\n'));
    return Fail(
        ErrorCode::kInternal,
        fmt::format(
            "csv feed: byte {} (line {}) cannot be encoded as GB18030: {}", at, line,
            error == EINVAL ? "incomplete UTF-8 sequence" : "invalid UTF-8 or no GB18030 mapping"));
  }
  encoded_.resize(static_cast<size_t>(dst - encoded_.data()));
  out.swap(encoded_);
  return Ok();
}

}  // namespace gongshi
