// The feed batches a run wrote, read back from its manifests: batch id -> the batch's NDJSON
// (its feed files in kind order, license then penalty), exactly what the HTTP sink POSTs; and
// each manifest's own account (sequence, size and SHA-256 of its feed file, source range), for
// tests that check where a batch came from, what a site must hold, or which batch a crash left
// uncommitted.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include "tests/support/test_support.h"

namespace gongshi::testing {

inline std::map<std::string, std::string> FeedBatches(const std::string& out_dir) {
  std::map<std::string, std::map<std::string, std::string>> by_id;  // id -> kind -> body
  simdjson::dom::parser parser;
  for (const char* kind : {"license", "penalty"}) {
    const std::filesystem::path dir = std::filesystem::path(out_dir) / "feeds" / kind;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.path().filename().string().ends_with(".manifest.json")) continue;
      const std::string text = ReadFile(entry.path().string());
      simdjson::dom::element manifest = parser.parse(text);
      const std::string id{std::string_view(manifest["batch_id"])};
      const std::string feed{std::string_view(manifest["feed_file"])};
      by_id[id][kind] = ReadFile((dir / feed).string());
    }
  }
  std::map<std::string, std::string> out;
  for (auto& [id, kinds] : by_id) {
    for (const char* kind : {"license", "penalty"}) out[id] += kinds[kind];
  }
  return out;
}

// One manifest as written (OUT/feeds/<kind>/<sequence>-<batch id>.manifest.json).
struct FeedManifest {
  std::string file;  // the manifest's path
  std::string batch_id;
  uint64_t sequence = 0;  // batch_sequence
  std::string kind;
  std::string feed_file;
  uint64_t records = 0;
  uint64_t bytes = 0;      // of the feed file
  std::string sha256;      // of the feed file, lower-case hex
  std::string source;      // source.name: the topic, or the input file
  int64_t partition = -1;  // source.partition; -1 for a file
  int64_t first_offset = -1;
  int64_t end_offset = -1;
};

// Every manifest of a run, license then penalty, in file-name (sequence) order.
inline std::vector<FeedManifest> FeedManifests(const std::string& out_dir) {
  std::vector<FeedManifest> out;
  simdjson::dom::parser parser;
  for (const char* kind : {"license", "penalty"}) {
    const std::filesystem::path dir = std::filesystem::path(out_dir) / "feeds" / kind;
    if (!std::filesystem::exists(dir)) continue;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().string();
      if (name.ends_with(".manifest.json")) files.push_back(name);
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      const std::string text = ReadFile(file);
      simdjson::dom::element manifest;
      if (parser.parse(text).get(manifest)) {
        ADD_FAILURE() << "not JSON: " << file;
        continue;
      }
      FeedManifest m;
      m.file = file;
      m.kind = kind;
      m.batch_id = std::string(std::string_view(manifest["batch_id"]));
      m.sequence = uint64_t(manifest["batch_sequence"]);
      m.feed_file = std::string(std::string_view(manifest["feed_file"]));
      m.records = uint64_t(manifest["records"]);
      m.bytes = uint64_t(manifest["bytes"]);
      m.sha256 = std::string(std::string_view(manifest["sha256"]));
      simdjson::dom::element source = manifest["source"];
      m.source = std::string(std::string_view(source["name"]));
      int64_t value = 0;
      if (!source["partition"].get(value)) m.partition = value;
      if (!source["first_offset"].get(value)) m.first_offset = value;
      if (!source["end_offset"].get(value)) m.end_offset = value;
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace gongshi::testing
