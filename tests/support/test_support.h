// Test helpers shared by the stage tests: temporary directories, fixtures, and records built
// from a JSON text with one field changed.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"

namespace gongshi::testing {

// A directory removed when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gongshi-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The names of the entries of `dir`, sorted; none when it does not exist.
inline std::vector<std::string> FileNamesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code error;
  for (const auto& e : std::filesystem::directory_iterator(dir, error)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string Fixture(const std::string& name) {
  std::string text = ReadFile(std::string(GONGSHI_TEST_FIXTURES_DIR) + "/" + name);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

inline const SchemaSet& Schemas() {
  static const SchemaSet* schemas = [] {
    auto loaded = SchemaSet::Load(SchemasDir());
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().ToString().c_str());
      std::abort();
    }
    return new SchemaSet(std::move(*loaded));
  }();
  return *schemas;
}

// `json` (a flat object) with `key` set to the raw JSON `raw_value`, or removed if it is empty.
// Keeps the key order; appends a new key at the end.
inline std::string With(const std::string& json, const std::string& key,
                        const std::string& raw_value) {
  simdjson::dom::parser parser;
  simdjson::dom::object object = parser.parse(json).get_object().value();
  std::string out = "{";
  bool found = false;
  auto append = [&](std::string_view k, std::string_view v) {
    if (out.size() > 1) out += ",";
    out += "\"";
    out += k;
    out += "\":";
    out += v;
  };
  for (auto [k, v] : object) {
    if (k == key) {
      found = true;
      if (!raw_value.empty()) append(k, raw_value);
      continue;
    }
    append(k, simdjson::minify(v));
  }
  if (!found && !raw_value.empty()) append(key, raw_value);
  return out + "}";
}

inline std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

// A batch of records over the given messages, laid out as a source would (with padding).
inline void FillBatch(RecordBatch& batch, const std::vector<std::string>& messages) {
  batch.Clear();
  std::vector<size_t> at;
  for (const std::string& m : messages) {
    at.push_back(batch.bytes.size());
    batch.bytes.insert(batch.bytes.end(), m.begin(), m.end());
    batch.bytes.insert(batch.bytes.end(), simdjson::SIMDJSON_PADDING, ' ');
  }
  batch.records.resize(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    Record& r = batch.records[i];
    r.Clear();
    r.position.line = static_cast<int64_t>(i + 1);
    r.raw = std::string_view(batch.bytes.data() + at[i], messages[i].size());
    r.json = r.raw;
  }
}

}  // namespace gongshi::testing
