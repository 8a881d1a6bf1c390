#include "pipeline/redact/leak_scan.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <simdjson.h>

#include "pipeline/redact/pii_scanner.h"
#include "pipeline/validate/identifiers.h"

namespace gongshi {
namespace {

// gongshi's own identifiers: hex digests and ciphertext, random-looking digits by design.
const std::set<std::string, std::less<>> kOwnKeys = {
    "record_id", "batch_id",   "sha256",         "previous_manifest_sha256",
    "feed_file", "created_at", "original_sealed"};

struct Scanner {
  const SchemaSet& schemas;
  PiiScanner pii;
  std::set<std::string, std::less<>> organisation_keys;
  std::vector<PiiSpan> spans;
  LeakReport report;

  void Value(std::string_view key, std::string_view text, const std::string& file, int64_t line) {
    if (kOwnKeys.count(key)) return;
    if (organisation_keys.count(key)) {
      char normal[64];
      if (text.size() < sizeof(normal)) {
        if (auto n = NormalizeIdentifier(text, normal, sizeof(normal))) {
          const std::string_view code(normal, *n);
          if (UsccValid(code) || OrgCodeValid(code) || code == "00000000000000000X") return;
        }
      }
    }
    ++report.values;
    pii.Scan(text, spans);
    for (const PiiSpan& span : spans) {
      ++report.by_kind[static_cast<size_t>(span.kind)];
      if (report.first_findings.size() < 20) {
        report.first_findings.push_back(
            {file, line, std::string(key), std::string(PiiKindName(span.kind))});
      }
    }
  }

  void Element(std::string_view key, simdjson::dom::element element, const std::string& file,
               int64_t line) {
    std::string_view text;
    simdjson::dom::object object;
    simdjson::dom::array array;
    if (!element.get(text)) {
      Value(key, text, file, line);
    } else if (!element.get(object)) {
      for (auto [k, v] : object) Element(k, v, file, line);
    } else if (!element.get(array)) {
      for (auto v : array) Element(key, v, file, line);
    }
  }
};

}  // namespace

Result<LeakReport> ScanForLeaks(const std::string& out_dir, const SchemaSet& schemas) {
  Scanner scanner{schemas, PiiScanner(), {}, {}, {}};
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    for (const FieldSpec& spec : schemas.For(kind).fields()) {
      if (spec.format == FieldFormat::kUscc || spec.format == FieldFormat::kOrgCode) {
        scanner.organisation_keys.insert(spec.name);
      }
    }
  }
  simdjson::dom::parser parser;
  for (std::string_view sub : {"feeds", "dlq", "withheld"}) {
    const std::filesystem::path dir = std::filesystem::path(out_dir) / sub;
    std::error_code error;
    if (!std::filesystem::exists(dir, error)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
      if (!entry.is_regular_file()) continue;
      const std::string path = entry.path().string();
      // The CSV template too: in GB18030 the digits and '@' are still ASCII, so what the scan
      // looks for reads the same in either encoding.
      if (!path.ends_with(".ndjson") && !path.ends_with(".json") && !path.ends_with(".csv")) {
        continue;
      }
      ++scanner.report.files;
      std::ifstream in(path, std::ios::binary);
      std::string text;
      int64_t line_number = 0;
      while (std::getline(in, text)) {
        ++line_number;
        if (text.empty()) continue;
        ++scanner.report.lines;
        simdjson::dom::element element;
        if (parser.parse(text).get(element)) {
          // Not JSON: scan the bytes as they are.
          scanner.Value("", text, path, line_number);
          continue;
        }
        scanner.Element("", element, path, line_number);
      }
    }
  }
  return scanner.report;
}

}  // namespace gongshi
