// The feed batches a run wrote, read back from its manifests: batch id -> the batch's NDJSON
// (its feed files in kind order, license then penalty), exactly what the HTTP sink POSTs.
#pragma once

#include <filesystem>
#include <map>
#include <string>

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

}  // namespace gongshi::testing
