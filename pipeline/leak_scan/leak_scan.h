// Leak scan: the auditors' check that no personal data left gongshi in clear. An independent second
// reading of everything a run wrote: every file under the output directory (feeds and their CSV
// template, dead letters with their clear original bytes, withheld records, manifests, replay
// summaries) and every key and value of the RocksDB state. It links neither the redactor nor the
// validator (pipeline/CMakeLists.txt), so a bug there cannot hide itself here.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/leak_scan/text_scanner.h"
#include "pipeline/record/error.h"
#include "pipeline/schema/schema.h"

namespace gongshi {

// Where a finding is. Never what: the value itself is not kept.
struct LeakFinding {
  std::string file;  // the file as found under OUT; for the state, its RocksDB directory
  int64_t line = 0;  // 1-based line; in a CSV file the record (the header row is 1); 0 in the state
  std::string field;  // JSON key path (source.name, entries[2].answer), CSV column header, "" for
                      // a line that is not JSON; in the state "key" or "value"
  LeakClass kind = LeakClass::kIdNumber;
  std::string column_family;  // state only
  std::string key_prefix;     // state only: the key's first bytes in hex (at most 8 bytes)
};

struct LeakReport {
  uint64_t files = 0;                   // files read
  uint64_t lines = 0;                   // lines and CSV records read
  uint64_t values = 0;                  // JSON strings, CSV cells and raw lines scanned
  uint64_t state_entries = 0;           // RocksDB entries read (key and value each scanned)
  std::vector<std::string> state_dirs;  // the RocksDB directories scanned
  std::array<uint64_t, kLeakClassCount> by_class{};  // indexed by LeakClass
  std::vector<LeakFinding> first_findings;           // the first max_findings, in scan order
  uint64_t count(LeakClass kind) const { return by_class[static_cast<size_t>(kind)]; }
  uint64_t total() const;
};

struct LeakScanOptions {
  // The state directory (holding rocksdb/ and hmac.key, as `gongshi run --state`), or a RocksDB
  // directory itself. Default "": OUT/state when it exists. Any other RocksDB directory found
  // under OUT is scanned as a store too, never as files.
  std::string state_dir;
  bool scan_state = true;
  size_t max_findings = 20;  // findings kept in first_findings; the counts are always complete
  std::string names_file;    // default "": SchemasDir()/names.json
};

// Thread-compatible: one scanner per thread (it keeps parsers and buffers between files).
class LeakScanner {
 public:
  // Fails (kInvalidConfig) when names.json cannot be read or is malformed, or the GB18030
  // decoder is missing.
  static Result<LeakScanner> Create(const SchemaSet& schemas, const LeakScanOptions& options = {});
  LeakScanner(LeakScanner&&) noexcept;
  LeakScanner& operator=(LeakScanner&&) noexcept;
  ~LeakScanner();

  // Every file under `out_dir` and the state (per the options). Fails (kIo) when the directory or
  // a file in it cannot be read, and (kUnavailable) when a state store cannot be opened: a scan
  // that could not read everything must not pass for clean.
  Status ScanOutput(const std::string& out_dir, LeakReport& report);
  // One state directory or RocksDB directory, opened read-only (beside a running service).
  Status ScanState(const std::string& state_dir, LeakReport& report);
  // The bytes of one file, read as the scan reads a file named `name`: *.csv as the national
  // template (UTF-8 with or without BOM, or GB18030), anything else line by line as JSON where a
  // line parses, else as text (GB18030 lines transcoded).
  void ScanFileBytes(const std::string& name, std::string_view bytes, LeakReport& report);

 private:
  struct Impl;
  explicit LeakScanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The whole scan of a run's output directory with a scanner of its own.
Result<LeakReport> ScanForLeaks(const std::string& out_dir, const SchemaSet& schemas,
                                const LeakScanOptions& options = {});

// The report as one JSON object: the counts, the state directories and the first findings.
std::string LeakReportJson(const LeakReport& report);

}  // namespace gongshi
