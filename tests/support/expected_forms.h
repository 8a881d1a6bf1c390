// The policy's masks written from their definitions (README "Personal data"), not with the
// redactor, and a comparison of feed lines that names only the members that differ: the oracle of
// the replay tests, the file replay's and the queued one's through Kafka alike.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/support/test_support.h"

namespace gongshi::testing {

// The UTF-8 characters of `utf8`, each as its bytes.
inline std::vector<std::string> CodePoints(const std::string& utf8) {
  std::vector<std::string> out;
  for (size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    out.push_back(utf8.substr(i, n));
    i += n;
  }
  return out;
}

// mask for an ID number: its first 2 and last 3 characters stay, the rest is *.
inline std::string MaskedIdNumber(const std::string& id) {
  const auto chars = CodePoints(id);
  std::string out;
  for (size_t i = 0; i < chars.size(); ++i) {
    out += i < 2 || i + 3 >= chars.size() ? chars[i] : "*";
  }
  return out;
}

// mask_name: the surname stays (two characters for a compound surname of schemas/names.json,
// else one), the rest is *.
inline std::string MaskedName(const std::string& name) {
  static const std::vector<std::string> compound = [] {
    std::vector<std::string> surnames;
    simdjson::dom::parser parser;
    const std::string text = ReadFile(SchemasDir() + "/names.json");
    for (simdjson::dom::element s : parser.parse(text)["surnames_compound"].get_array()) {
      surnames.emplace_back(std::string_view(s));
    }
    return surnames;
  }();
  EXPECT_GT(compound.size(), 10u);
  const auto chars = CodePoints(name);
  size_t keep = 1;
  for (const std::string& s : compound) {
    if (name.starts_with(s)) keep = CodePoints(s).size();
  }
  std::string out;
  for (size_t i = 0; i < chars.size(); ++i) out += i < keep ? chars[i] : "*";
  return out;
}

inline std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The members whose presence or value differs (names only: the values may be personal data).
inline std::string DifferingMembers(const std::map<std::string, std::string>& expected,
                                    const std::map<std::string, std::string>& actual) {
  std::set<std::string> keys;
  for (const auto& [key, value] : expected) keys.insert(key);
  for (const auto& [key, value] : actual) keys.insert(key);
  std::string differ;
  for (const std::string& key : keys) {
    const auto e = expected.find(key), a = actual.find(key);
    if (e == expected.end() || a == actual.end() || e->second != a->second) {
      differ += (differ.empty() ? "" : ", ") + key +
                (a == actual.end()     ? " (missing)"
                 : e == expected.end() ? " (extra)"
                                       : "");
    }
  }
  return differ;
}

}  // namespace gongshi::testing
