// Leak scan over a run's output directory and state: which bytes are read as what (JSON lines,
// the CSV template, dead letters' clear originals, RocksDB entries) and what is not personal by
// construction (gongshi's own ids and digests, organisation codes that validate).
#include "pipeline/leak_scan/leak_scan.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <iconv.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <simdjson.h>

#include "pipeline/common/json_out.h"
#include "pipeline/leak_scan/checksums.h"

namespace gongshi {

uint64_t LeakReport::total() const {
  uint64_t sum = 0;
  for (uint64_t n : by_class) sum += n;
  return sum;
}

namespace {

namespace fs = std::filesystem;

// gongshi's own values: ids, digests, file names, times and sealed bytes. Random-looking digits by
// design, and never personal data.
const std::set<std::string, std::less<>> kOwnKeys = {
    "record_id", "batch_id",   "sha256",     "previous_manifest_sha256", "feed_file",
    "csv_file",  "csv_sha256", "created_at", "original_sealed",          "job_id"};

// The record's own numbers: licence numbers (a province's 6-digit area code, the year and a serial
// make 17 digits that pass Luhn one time in ten), decision numbers, registration numbers.
const std::set<std::string, std::less<>> kRecordNumberFields = {
    "license_no", "decision_doc_no",     "business_reg_no",
    "tax_reg_no", "public_inst_cert_no", "social_org_reg_no"};

bool IsOwnKey(std::string_view key) {
  return kOwnKeys.count(key) != 0 || key.ends_with("_sealed") || key.ends_with("_sha256");
}

bool IsRocksDbDir(const fs::path& dir) {
  std::error_code error;
  return fs::is_regular_file(dir / "CURRENT", error) && fs::is_directory(dir, error);
}

// Base64 (RFC 4648, standard alphabet; whitespace ignored). False on anything else.
bool DecodeBase64(std::string_view text, std::string& out) {
  out.clear();
  uint32_t buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=') {
      ++padding;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return false;
    }
    if (padding != 0) return false;  // data after '='
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return padding <= 2;
}

// ASCII and full-width (EF BC 90..99) digits in `text`.
size_t DigitCount(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    if (b >= '0' && b <= '9') {
      ++count;
    } else if (b == 0xEF && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0xBC &&
               static_cast<unsigned char>(text[i + 2]) >= 0x90 &&
               static_cast<unsigned char>(text[i + 2]) <= 0x99) {
      ++count;
      i += 2;
    }
  }
  return count;
}

// An organisation code as a clerk may type it: full-width folded, upper case, spaces dropped.
std::string NormalizeCode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    if (b == 0xEF && i + 2 < text.size()) {
      // U+FF01..U+FF5E (EF BC 81 .. EF BD 9E): full-width ASCII.
      const unsigned char b1 = static_cast<unsigned char>(text[i + 1]);
      const unsigned char b2 = static_cast<unsigned char>(text[i + 2]);
      const uint32_t cp = 0xF000u | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        char c = static_cast<char>(cp - 0xFEE0);
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        out.push_back(c);
        i += 2;
        continue;
      }
    }
    if (b == ' ' || b == '\t') continue;
    out.push_back(b >= 'a' && b <= 'z' ? static_cast<char>(b - 32) : static_cast<char>(b));
  }
  return out;
}

// 统一社会信用代码, 组织机构代码, or a 税务登记号 of the old form (6-digit area code and the
// organisation code): an organisation's identity, published by design.
bool OrganisationCodeValid(std::string_view text) {
  if (text.size() > 64) return false;
  const std::string code = NormalizeCode(text);
  if (leak_scan::UsccValid(code) || leak_scan::OrgCodeValid(code)) return true;
  if (code.size() >= 15) {
    bool area = true;
    for (size_t i = 0; i < 6; ++i) area &= code[i] >= '0' && code[i] <= '9';
    if (area && leak_scan::OrgCodeValid(std::string_view(code).substr(6))) return true;
  }
  return false;
}

// The CSV column name of a schema title: the title without a side-channel note in parentheses
// after a space ("当前状态 (legacy 2015 CF_ZT; ...)" -> 当前状态). The standard's own parentheses
// have no space before them (行政相对人代码_1(统一社会信用代码)) and stay.
std::string ColumnName(const std::string& title) {
  const size_t note = title.find(" (");
  return note == std::string::npos ? title : title.substr(0, note);
}

// Discards RocksDB's info log: a read-only open beside a running service must not rotate the
// service's LOG file.
class QuietLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

void AppendHex(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : bytes) {
    out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
  }
}

}  // namespace

struct LeakScanner::Impl {
  LeakScanOptions options;
  leak_scan::TextScanner text;
  std::vector<leak_scan::TextHit> hits;
  simdjson::dom::parser parser;        // the file's lines
  simdjson::dom::parser inner_parser;  // decoded original bytes inside a line
  iconv_t gb18030 = reinterpret_cast<iconv_t>(-1);
  std::string transcoded;
  std::string decoded;
  std::string key_path;                                     // of the line being walked
  std::set<std::string, std::less<>> organisation_keys;     // JSON keys (names and aliases)
  std::set<std::string, std::less<>> organisation_columns;  // CSV headers
  std::set<std::string, std::less<>> number_keys;           // the record's own numbers
  std::set<std::string, std::less<>> number_columns;
  // Where the scan is, for the findings.
  std::string file;
  int64_t line = 0;
  LeakReport* report = nullptr;

  Impl(LeakScanOptions o, std::shared_ptr<const leak_scan::NameDictionary> names)
      : options(std::move(o)), text(std::move(names)) {}
  ~Impl() {
    if (gb18030 != reinterpret_cast<iconv_t>(-1)) iconv_close(gb18030);
  }

  void Found(LeakClass kind, std::string_view field) {
    ++report->by_class[static_cast<size_t>(kind)];
    if (report->first_findings.size() < options.max_findings) {
      LeakFinding finding;
      finding.file = file;
      finding.line = line;
      finding.field = std::string(field);
      finding.kind = kind;
      report->first_findings.push_back(std::move(finding));
    }
  }

  // GB18030 bytes to UTF-8 in `transcoded`; false when they are not GB18030 either.
  bool TranscodeGb18030(std::string_view bytes) {
    transcoded.resize(bytes.size() * 2 + 16);
    iconv(gb18030, nullptr, nullptr, nullptr, nullptr);
    char* in = const_cast<char*>(bytes.data());
    size_t in_left = bytes.size();
    char* out = transcoded.data();
    size_t out_left = transcoded.size();
    while (in_left > 0) {
      if (iconv(gb18030, &in, &in_left, &out, &out_left) == static_cast<size_t>(-1)) {
        if (errno == E2BIG) {
          const size_t used = transcoded.size() - out_left;
          transcoded.resize(transcoded.size() * 2);
          out = transcoded.data() + used;
          out_left = transcoded.size() - used;
          continue;
        }
        return false;
      }
    }
    transcoded.resize(transcoded.size() - out_left);
    return true;
  }

  // One piece of text. Bytes that are not UTF-8 are read as GB18030 when they are that (a CSV
  // template or an original message in the older encoding), else as they are.
  // `record_number`: the value is one of the record's own numbers (许可编号, 文号, 注册号…), where
  // a run of digits is that number: only an 18-digit ID number or an e-mail there is someone's
  // (a 15-digit 工商注册号 or licence number reads as an old ID one time in 27).
  void ScanText(std::string_view value, std::string_view field, bool transcode = true,
                bool record_number = false) {
    ++report->values;
    if (transcode && !simdjson::validate_utf8(value.data(), value.size()) &&
        TranscodeGb18030(value)) {
      value = transcoded;
    }
    hits.clear();
    text.Scan(value, hits);
    for (const leak_scan::TextHit& hit : hits) {
      if (record_number && (hit.kind == LeakClass::kMobile || hit.kind == LeakClass::kBankCard ||
                            (hit.kind == LeakClass::kIdNumber &&
                             DigitCount(value.substr(hit.begin, hit.end - hit.begin)) == 15))) {
        continue;
      }
      Found(hit.kind, field);
    }
  }

  // A string value of `key` (at `path`).
  void ScanString(std::string_view key, std::string_view path, std::string_view value,
                  bool decode_originals) {
    if (IsOwnKey(key)) return;
    if (organisation_keys.count(key) && OrganisationCodeValid(value)) return;
    if (decode_originals && key.ends_with("_base64")) {
      // dead_letter.original: clear keeps the message's bytes in base64: read them as the
      // message (a JSON object where it parses, else text).
      if (DecodeBase64(value, decoded)) {
        ScanOriginal(path);
        return;
      }
    }
    ScanText(value, path, true, number_keys.count(key) != 0);
  }

  void ScanOriginal(std::string_view path) {
    std::string_view bytes = decoded;
    std::string utf8;
    if (!simdjson::validate_utf8(bytes.data(), bytes.size()) && TranscodeGb18030(bytes)) {
      utf8 = transcoded;
      bytes = utf8;
    }
    simdjson::dom::element root;
    if (inner_parser.parse(bytes.data(), bytes.size()).get(root)) {
      ScanText(bytes, path, false);
      return;
    }
    std::string inner(path);
    inner += '>';
    Walk(root, "", inner, false);
  }

  void Walk(simdjson::dom::element element, std::string_view key, std::string& path,
            bool decode_originals) {
    switch (element.type()) {
      case simdjson::dom::element_type::STRING:
        ScanString(key, path, std::string_view(element), decode_originals);
        break;
      case simdjson::dom::element_type::OBJECT: {
        const size_t base = path.size();
        for (auto [k, v] : simdjson::dom::object(element)) {
          if (IsOwnKey(k)) continue;
          if (base != 0 && path.back() != '>') path += '.';
          path += k;
          ScanText(k, path);  // keys are text too (an original message's may be anything)
          Walk(v, k, path, decode_originals);
          path.resize(base);
        }
        break;
      }
      case simdjson::dom::element_type::ARRAY: {
        const size_t base = path.size();
        size_t index = 0;
        for (simdjson::dom::element v : simdjson::dom::array(element)) {
          path += '[';
          path += std::to_string(index++);
          path += ']';
          Walk(v, key, path, decode_originals);
          path.resize(base);
        }
        break;
      }
      default: break;  // numbers, booleans, null: gongshi writes no personal data as those
    }
  }

  void ScanLines(std::string_view bytes) {
    if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
    size_t at = 0;
    line = 0;
    while (at < bytes.size()) {
      size_t end = bytes.find('\n', at);
      if (end == std::string_view::npos) end = bytes.size();
      std::string_view text_line = bytes.substr(at, end - at);
      at = end + 1;
      ++line;
      if (!text_line.empty() && text_line.back() == '\r') text_line.remove_suffix(1);
      if (text_line.empty()) continue;
      ++report->lines;
      const size_t first = text_line.find_first_not_of(" \t");
      simdjson::dom::element root;
      if (first != std::string_view::npos &&
          (text_line[first] == '{' || text_line[first] == '[' || text_line[first] == '"') &&
          !parser.parse(text_line.data(), text_line.size()).get(root)) {
        key_path.clear();
        Walk(root, "", key_path, true);
        continue;
      }
      ScanText(text_line, "");
    }
  }

  // RFC 4180: fields separated by commas, records by CRLF (or LF); a quoted field may hold commas,
  // line breaks and doubled quotes.
  void ScanCsv(std::string_view bytes) {
    std::string utf8;
    if (bytes.starts_with("\xEF\xBB\xBF")) {
      bytes.remove_prefix(3);
    } else if (!simdjson::validate_utf8(bytes.data(), bytes.size()) && TranscodeGb18030(bytes)) {
      utf8 = std::move(transcoded);
      bytes = utf8;
    }
    std::vector<std::string> header;
    std::vector<std::string> cells;
    std::string cell;
    size_t i = 0;
    int64_t record = 0;
    const size_t n = bytes.size();
    while (i < n) {
      // One record.
      cells.clear();
      bool end_of_record = false;
      while (!end_of_record) {
        cell.clear();
        if (i < n && bytes[i] == '"') {
          ++i;
          while (i < n) {
            if (bytes[i] == '"') {
              if (i + 1 < n && bytes[i + 1] == '"') {
                cell.push_back('"');
                i += 2;
                continue;
              }
              ++i;
              break;
            }
            cell.push_back(bytes[i++]);
          }
        }
        // Unquoted text (or what follows a closing quote, kept as text).
        while (i < n && bytes[i] != ',' && bytes[i] != '\n' && bytes[i] != '\r') {
          cell.push_back(bytes[i++]);
        }
        cells.push_back(cell);
        if (i < n && bytes[i] == ',') {
          ++i;
          continue;
        }
        if (i < n && bytes[i] == '\r') ++i;
        if (i < n && bytes[i] == '\n') ++i;
        end_of_record = true;
      }
      ++record;
      line = record;
      ++report->lines;
      if (record == 1) {
        header = cells;
        for (const std::string& name : cells) ScanText(name, "");
        continue;
      }
      for (size_t c = 0; c < cells.size(); ++c) {
        const std::string column = c < header.size() ? header[c] : fmt::format("column {}", c + 1);
        if (cells[c].empty()) continue;
        const std::string_view value = cells[c];
        if (organisation_columns.count(column) && OrganisationCodeValid(value)) continue;
        ScanText(value, column, true, number_columns.count(column) != 0);
      }
    }
  }

  Status ScanDb(const std::string& dir) {
    rocksdb::DBOptions db_options;
    db_options.info_log = std::make_shared<QuietLogger>();
    db_options.max_open_files = 256;
    std::vector<std::string> families;
    rocksdb::Status status = rocksdb::DB::ListColumnFamilies(db_options, dir, &families);
    if (!status.ok()) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("cannot read the state store at {}: {}", dir, status.ToString()));
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : families)
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    status = rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &handles, &raw);
    if (!status.ok()) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("cannot open the state store at {}: {}", dir, status.ToString()));
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    report->state_dirs.push_back(dir);
    Status result = Ok();
    for (size_t f = 0; f < handles.size() && result; ++f) {
      rocksdb::ReadOptions read;
      read.fill_cache = false;
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, handles[f]));
      int64_t ordinal = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ++ordinal;
        ++report->state_entries;
        const std::string_view key(it->key().data(), it->key().size());
        const std::string_view value(it->value().data(), it->value().size());
        // The key is scanned first: its hex prefix in a finding stops before any hit in it.
        hits.clear();
        text.Scan(key, hits, true);
        ++report->values;
        size_t prefix = std::min<size_t>(key.size(), 8);
        for (const leak_scan::TextHit& hit : hits) prefix = std::min<size_t>(prefix, hit.begin);
        std::vector<leak_scan::TextHit> key_hits = hits;
        hits.clear();
        text.Scan(value, hits, true);
        ++report->values;
        auto found = [&](LeakClass kind, const char* part) {
          ++report->by_class[static_cast<size_t>(kind)];
          if (report->first_findings.size() >= options.max_findings) return;
          LeakFinding finding;
          finding.file = dir;
          finding.line = ordinal;
          finding.field = part;
          finding.kind = kind;
          finding.column_family = families[f];
          AppendHex(finding.key_prefix, key.substr(0, prefix));
          report->first_findings.push_back(std::move(finding));
        };
        for (const leak_scan::TextHit& hit : key_hits) found(hit.kind, "key");
        for (const leak_scan::TextHit& hit : hits) found(hit.kind, "value");
      }
      if (!it->status().ok()) {
        result = Fail(ErrorCode::kUnavailable,
                      fmt::format("cannot read the state store at {} (column family {}): {}", dir,
                                  families[f], it->status().ToString()));
      }
    }
    for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
    db->Close().PermitUncheckedError();
    return result;
  }
};

LeakScanner::LeakScanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LeakScanner::LeakScanner(LeakScanner&&) noexcept = default;
LeakScanner& LeakScanner::operator=(LeakScanner&&) noexcept = default;
LeakScanner::~LeakScanner() = default;

Result<LeakScanner> LeakScanner::Create(const SchemaSet& schemas, const LeakScanOptions& options) {
  const std::string names_file =
      options.names_file.empty() ? SchemasDir() + "/names.json" : options.names_file;
  auto names = leak_scan::NameDictionary::Load(names_file);
  if (!names) return Fail(names.error());
  auto impl = std::make_unique<Impl>(
      options, std::make_shared<const leak_scan::NameDictionary>(std::move(*names)));
  impl->gb18030 = iconv_open("UTF-8", "GB18030");
  if (impl->gb18030 == reinterpret_cast<iconv_t>(-1)) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("leak scan: no GB18030 decoder ({}); glibc's gconv modules are missing",
                            std::strerror(errno)));
  }
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    for (const FieldSpec& spec : schemas.For(kind).fields()) {
      // The old 税务登记号 is an area code and the organisation code: an organisation's too.
      if (spec.format == FieldFormat::kUscc || spec.format == FieldFormat::kOrgCode ||
          spec.name == "tax_reg_no") {
        impl->organisation_keys.insert(spec.name);
        for (const std::string& alias : spec.aliases) impl->organisation_keys.insert(alias);
        impl->organisation_columns.insert(ColumnName(spec.title));
      }
      if (kRecordNumberFields.count(spec.name)) {
        impl->number_keys.insert(spec.name);
        for (const std::string& alias : spec.aliases) impl->number_keys.insert(alias);
        impl->number_columns.insert(ColumnName(spec.title));
      }
    }
  }
  return LeakScanner(std::move(impl));
}

void LeakScanner::ScanFileBytes(const std::string& name, std::string_view bytes,
                                LeakReport& report) {
  impl_->report = &report;
  impl_->file = name;
  impl_->line = 0;
  ++report.files;
  if (name.ends_with(".csv")) {
    impl_->ScanCsv(bytes);
  } else {
    impl_->ScanLines(bytes);
  }
}

Status LeakScanner::ScanState(const std::string& state_dir, LeakReport& report) {
  impl_->report = &report;
  const fs::path dir(state_dir);
  if (IsRocksDbDir(dir / "rocksdb")) return impl_->ScanDb((dir / "rocksdb").string());
  if (IsRocksDbDir(dir)) return impl_->ScanDb(dir.string());
  return Fail(ErrorCode::kIo,
              fmt::format("{}: no RocksDB state store here (neither {}/rocksdb/CURRENT "
                          "nor {}/CURRENT)",
                          state_dir, state_dir, state_dir));
}

Status LeakScanner::ScanOutput(const std::string& out_dir, LeakReport& report) {
  impl_->report = &report;
  const fs::path out(out_dir);
  std::error_code error;
  if (!fs::is_directory(out, error)) {
    return Fail(ErrorCode::kIo, fmt::format("{}: not a directory that can be read{}", out_dir,
                                            error ? " (" + error.message() + ")" : ""));
  }
  std::vector<std::string> stores;
  auto add_store = [&](const fs::path& db) {
    const std::string canonical = fs::weakly_canonical(db, error).string();
    for (const std::string& s : stores) {
      if (s == canonical) return;
    }
    stores.push_back(canonical);
  };
  if (impl_->options.scan_state) {
    if (!impl_->options.state_dir.empty()) {
      const fs::path dir(impl_->options.state_dir);
      if (IsRocksDbDir(dir / "rocksdb")) {
        add_store(dir / "rocksdb");
      } else if (IsRocksDbDir(dir)) {
        add_store(dir);
      } else {
        return Fail(ErrorCode::kIo,
                    fmt::format("--state {}: no RocksDB state store there (no rocksdb/CURRENT)",
                                impl_->options.state_dir));
      }
    }
  }
  fs::recursive_directory_iterator walk(out, error);
  if (error) {
    return Fail(ErrorCode::kIo, fmt::format("{}: cannot be read ({})", out_dir, error.message()));
  }
  std::vector<fs::path> files;
  for (; walk != fs::recursive_directory_iterator(); walk.increment(error)) {
    if (error) break;
    const fs::directory_entry& entry = *walk;
    std::error_code type_error;
    if (entry.is_directory(type_error)) {
      // A RocksDB directory is read as a store (its tables are compressed), never as files.
      if (IsRocksDbDir(entry.path())) {
        if (impl_->options.scan_state) add_store(entry.path());
        walk.disable_recursion_pending();
      }
      continue;
    }
    if (!entry.is_regular_file(type_error)) continue;
    if (entry.path().filename() == "hmac.key") continue;  // the key is random bytes, not data
    files.push_back(entry.path());
  }
  if (error) {
    return Fail(ErrorCode::kIo, fmt::format("{}: cannot be read ({})", out_dir, error.message()));
  }
  std::sort(files.begin(), files.end());
  std::string bytes;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return Fail(ErrorCode::kIo,
                  fmt::format("{}: cannot be read ({})", file.string(), std::strerror(errno)));
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) {
      return Fail(ErrorCode::kIo, fmt::format("{}: read failed", file.string()));
    }
    ScanFileBytes(file.string(), bytes, report);
  }
  for (const std::string& store : stores) {
    if (auto ok = impl_->ScanDb(store); !ok) return ok;
  }
  return Ok();
}

Result<LeakReport> ScanForLeaks(const std::string& out_dir, const SchemaSet& schemas,
                                const LeakScanOptions& options) {
  auto scanner = LeakScanner::Create(schemas, options);
  if (!scanner) return Fail(scanner.error());
  LeakReport report;
  if (auto ok = scanner->ScanOutput(out_dir, report); !ok) return Fail(ok.error());
  return report;
}

std::string LeakReportJson(const LeakReport& report) {
  std::string out =
      fmt::format("{{\"files\":{},\"lines\":{},\"values\":{},\"state_entries\":{},\"state_dirs\":[",
                  report.files, report.lines, report.values, report.state_entries);
  for (size_t i = 0; i < report.state_dirs.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, report.state_dirs[i]);
  }
  out += "],\"counts\":{";
  for (size_t k = 0; k < kLeakClassCount; ++k) {
    if (k > 0) out += ',';
    AppendJsonString(out, LeakClassName(static_cast<LeakClass>(k)));
    out += fmt::format(":{}", report.by_class[k]);
  }
  out += fmt::format("}},\"total\":{},\"findings\":[", report.total());
  for (size_t i = 0; i < report.first_findings.size(); ++i) {
    const LeakFinding& f = report.first_findings[i];
    if (i > 0) out += ',';
    out += "{\"file\":";
    AppendJsonString(out, f.file);
    out += fmt::format(",\"line\":{},\"field\":", f.line);
    AppendJsonString(out, f.field);
    out += ",\"class\":";
    AppendJsonString(out, LeakClassName(f.kind));
    if (!f.column_family.empty()) {
      out += ",\"column_family\":";
      AppendJsonString(out, f.column_family);
      out += ",\"key_prefix\":";
      AppendJsonString(out, f.key_prefix);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace gongshi
