// LoadConfig: the config file's bytes checked (strict UTF-8, no control characters), its
// structure checked through yaml-cpp's event parser (duplicate keys, one document), then every
// section read through the Node API into the typed Config.
#include "pipeline/config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "pipeline/batch/batcher.h"

namespace gongshi {
namespace {

constexpr size_t kNoOffset = std::string::npos;

// The length of the strict UTF-8 sequence at text[at] (RFC 3629, Unicode Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong below U+0800
    if (lead == 0xED) high = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong below U+10000
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0/C1 (overlong), or F5..FF
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
  }
  return length;
}

char32_t DecodeUtf8(std::string_view text, size_t at, size_t length) {
  const auto byte = [&](size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(text[i]));
  };
  if (length == 1) return byte(at);
  char32_t cp = byte(at) & (0xFF >> (length + 1));
  for (size_t i = 1; i < length; ++i) cp = (cp << 6) | (byte(at + i) & 0x3F);
  return cp;
}

// Characters a config may not hold: C0 controls but tab, LF and CR; DEL; C1 controls; and
// U+FEFF past the start (a BOM left inside by concatenating files). None can be seen in an
// editor, and a marker holding one never matches a 备注. U+0004 is also where yaml-cpp 0.7's
// stream stops reading (Stream::eof()), so whatever followed it would be silently ignored.
bool IsForbiddenCharacter(char32_t cp) {
  if (cp < 0x20) return cp != '\t' && cp != '\n' && cp != '\r';
  return (cp >= 0x7F && cp <= 0x9F) || cp == 0xFEFF;
}

bool IsWhitespace(char32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

// The first byte of `value` that is not strict UTF-8, or the first forbidden character, as
// (offset, what); nullopt when the string is clean.
struct BadCharacter {
  size_t offset;
  size_t length;  // bytes of the bad sequence (1 for an invalid byte)
  bool invalid_utf8;
  char32_t code_point;  // when !invalid_utf8
};

std::optional<BadCharacter> FirstBadCharacter(std::string_view text, size_t from = 0) {
  for (size_t at = from; at < text.size();) {
    const size_t length = Utf8SequenceLength(text, at);
    if (length == 0) return BadCharacter{at, 1, true, 0};
    const char32_t cp = DecodeUtf8(text, at, length);
    if (IsForbiddenCharacter(cp)) return BadCharacter{at, length, false, cp};
    at += length;
  }
  return std::nullopt;
}

// GB18030 (GBK and GB2312 are subsets): ASCII, two bytes 81..FE + 40..7E|80..FE, or four bytes
// 81..FE 30..39 81..FE 30..39. A file whose every byte fits and that has at least one multi-byte
// sequence was almost certainly saved in it (Windows editors in a Chinese locale do so).
bool LooksLikeGb18030(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  bool multibyte = false;
  for (size_t at = 0; at < text.size();) {
    const unsigned char lead = byte(at);
    if (lead < 0x80) {
      ++at;
      continue;
    }
    if (lead == 0x80 || lead == 0xFF || at + 1 >= text.size()) return false;
    const unsigned char second = byte(at + 1);
    if ((second >= 0x40 && second <= 0x7E) || (second >= 0x80 && second <= 0xFE)) {
      at += 2;
    } else if (second >= 0x30 && second <= 0x39 && at + 3 < text.size() && byte(at + 2) >= 0x81 &&
               byte(at + 2) <= 0xFE && byte(at + 3) >= 0x30 && byte(at + 3) <= 0x39) {
      at += 4;
    } else {
      return false;
    }
    multibyte = true;
  }
  return multibyte;
}

// The file's text without its invalid bytes and forbidden characters, so that yaml-cpp can
// still be asked which key the first of them stands under. Up to that first one the offsets
// are the file's own, and what follows it is the rest of the line as it was.
std::string Sanitised(std::string_view text) {
  std::string copy;
  copy.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    auto bad = FirstBadCharacter(text, at);
    const size_t end = bad ? bad->offset : text.size();
    copy.append(text.substr(at, end - at));
    if (!bad) break;
    at = bad->offset + bad->length;
  }
  return copy;
}

// A key as it can be printed: a control character in it is shown as <U+XXXX>, never sent to
// the operator's terminal.
std::string Displayable(std::string_view key) {
  std::string out;
  for (size_t at = 0; at < key.size();) {
    const size_t length = Utf8SequenceLength(key, at);
    if (length == 0) {
      out += fmt::format("<{:02X}>", static_cast<unsigned>(static_cast<unsigned char>(key[at])));
      ++at;
      continue;
    }
    const char32_t cp = DecodeUtf8(key, at, length);
    if (IsForbiddenCharacter(cp)) {
      out += fmt::format("<U+{:04X}>", static_cast<uint32_t>(cp));
    } else {
      out.append(key.substr(at, length));
    }
    at += length;
  }
  return out;
}

// The checks that need every key see yaml-cpp's parser events: its Node API keeps one of two
// equal keys silently and has no position for a key. Each key and list item is recorded with
// its path (redaction.withhold.minors, batch.schedule[1]) and byte offset, for the messages.
// yaml-cpp 0.7's Mark: pos is the byte offset in the stream after a BOM, line and column count
// from 0 (the column in bytes); a null value's mark is the next token's, often on the next line.
class StructureChecker : public YAML::EventHandler {
 public:
  struct Problem {
    size_t offset;
    std::string key;
    std::string what;
  };
  struct Located {
    size_t offset;
    std::string path;
  };

  explicit StructureChecker(std::string_view text) : text_(text) {}

  const std::optional<Problem>& problem() const { return problem_; }
  int documents() const { return documents_; }
  size_t second_document_offset() const { return second_document_offset_; }

  // The first key or item at or after `offset` (the first key of a document that starts there).
  std::string FirstPathFrom(size_t offset) const {
    for (const Located& l : located_) {
      if (l.offset >= offset) return l.path;
    }
    return "";
  }
  // The key or list item that starts last at or before `offset`, nullptr if none does.
  const Located* At(size_t offset) const {
    const Located* best = nullptr;
    for (const Located& l : located_) {
      if (l.offset <= offset && (best == nullptr || l.offset >= best->offset)) best = &l;
    }
    return best;
  }
  // The byte offset of the key or list item `path`, kNoOffset if the file does not have it.
  size_t OffsetOf(const std::string& path) const {
    auto found = offsets_.find(path);
    return found == offsets_.end() ? kNoOffset : found->second;
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) second_document_offset_ = Offset(mark);
    stack_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    Leaf(NullOffset(mark), nullptr, "a null (empty) key");
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    Leaf(Offset(mark), nullptr, "an alias (*name) as a key");
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    Leaf(Offset(mark), &value, nullptr);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Open(Offset(mark), /*is_map=*/false);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Open(Offset(mark), /*is_map=*/true);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    bool is_map = false;
    bool is_key = false;  // a list or map standing where a key should (refused)
    std::string path;
    bool expect_key = true;              // maps: the next node is a key
    std::string key;                     // maps: the current key
    size_t index = 0;                    // lists: the current item
    std::map<std::string, size_t> keys;  // maps: each key given, at its offset
  };

  static size_t Offset(const YAML::Mark& mark) {
    return mark.pos < 0 ? 0 : static_cast<size_t>(mark.pos);
  }

  // An empty value's mark is the next token's; the value is really just after the last
  // non-blank byte before it (the '-' or ':' on the item's own line).
  size_t NullOffset(const YAML::Mark& mark) const {
    size_t at = std::min(Offset(mark), text_.size());
    if (at < text_.size() &&
        (text_[at] == '~' || text_.compare(at, 4, "null") == 0 ||
         text_.compare(at, 4, "Null") == 0 || text_.compare(at, 4, "NULL") == 0)) {
      return at;
    }
    while (at > 0 && (text_[at - 1] == ' ' || text_[at - 1] == '\t' || text_[at - 1] == '\n' ||
                      text_[at - 1] == '\r')) {
      --at;
    }
    return at > 0 ? at - 1 : 0;
  }

  void Report(size_t offset, std::string key, std::string what) {
    if (!problem_) problem_ = Problem{offset, std::move(key), std::move(what)};
  }

  bool InKeyPosition() const {
    return !stack_.empty() && stack_.back().is_map && stack_.back().expect_key;
  }

  static std::string Join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  // The path of a value at the current position.
  std::string ValuePath() const {
    if (stack_.empty()) return "";
    const Frame& parent = stack_.back();
    if (!parent.is_map) return fmt::format("{}[{}]", parent.path, parent.index);
    return Join(parent.path, parent.key);
  }

  void Locate(size_t offset, const std::string& path) {
    located_.push_back(Located{offset, path});
    offsets_.emplace(path, offset);
  }

  int LineOf(size_t offset) const {
    const auto end = text_.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text_.size()));
    return 1 + static_cast<int>(std::count(text_.begin(), end, '\n'));
  }

  // A key that is not a scalar: reported, and its value read on as "(key)".
  void NonScalarKey(size_t offset, const char* what) {
    Frame& map = stack_.back();
    Report(offset, map.path.empty() ? "(top level)" : map.path,
           fmt::format("{}: a key must be a plain name", what));
    map.key = "(key)";
    map.expect_key = false;
  }

  void CheckCharacters(size_t offset, const std::string& path, const std::string& text,
                       const char* role) {
    auto bad = FirstBadCharacter(text);
    if (!bad) return;
    if (bad->invalid_utf8) {
      // The file was UTF-8, so an escape made this: yaml-cpp 0.7 writes \N and \_ as the
      // single bytes 0x85 and 0xA0, not as UTF-8.
      Report(offset, path,
             fmt::format("the {} is not valid UTF-8 once its escapes are read (yaml-cpp reads "
                         "\\N and \\_ as single bytes): write the character itself",
                         role));
      return;
    }
    Report(offset, path,
           fmt::format("control character U+{:04X} in the {} (only tab, newline and CR may "
                       "appear): remove it",
                       static_cast<uint32_t>(bad->code_point), role));
  }

  // A scalar (`scalar` is its text), null or alias.
  void Leaf(size_t offset, const std::string* scalar, const char* as_key) {
    if (InKeyPosition()) {
      if (scalar == nullptr) return NonScalarKey(offset, as_key);
      Frame& map = stack_.back();
      map.key = *scalar;
      map.expect_key = false;
      const std::string path = Join(map.path, map.key);
      CheckCharacters(offset, path, *scalar, "key");
      if (auto [first, inserted] = map.keys.emplace(map.key, offset); !inserted) {
        Report(offset, path,
               fmt::format("duplicate key (first given at line {}); yaml-cpp would keep only "
                           "one of them, silently: give it once",
                           LineOf(first->second)));
      }
      Locate(offset, path);
      return;
    }
    const std::string path = ValuePath();
    if (!stack_.empty() && !stack_.back().is_map) Locate(offset, path);
    if (scalar != nullptr)
      CheckCharacters(offset, path.empty() ? "(top level)" : path, *scalar, "value");
    Completed();
  }

  void Open(size_t offset, bool is_map) {
    Frame frame;
    frame.is_map = is_map;
    if (InKeyPosition()) {
      NonScalarKey(offset, is_map ? "a mapping as a key" : "a list as a key");
      frame.is_key = true;
      frame.path = Join(stack_.back().path, "(key)");
    } else {
      frame.path = ValuePath();
      if (!stack_.empty() && !stack_.back().is_map) Locate(offset, frame.path);
    }
    stack_.push_back(std::move(frame));
  }

  void Close() {
    if (stack_.empty()) return;
    const bool was_key = stack_.back().is_key;
    stack_.pop_back();
    if (!was_key) Completed();  // a key's value is still to come
  }

  // A value ended: its map expects the next key, its list the next item.
  void Completed() {
    if (stack_.empty()) return;
    Frame& parent = stack_.back();
    if (parent.is_map) {
      parent.expect_key = true;
    } else {
      ++parent.index;
    }
  }

  std::string_view text_;
  std::vector<Frame> stack_;
  std::vector<Located> located_;
  std::map<std::string, size_t> offsets_;
  std::optional<Problem> problem_;
  int documents_ = 0;
  size_t second_document_offset_ = 0;
};

// Messages about the config: "FILE:LINE: KEY: WHAT" (line and column from 1, the column in
// characters), the line found from the key's path where the file has that key (else its
// nearest enclosing key's).
class Reader {
 public:
  Reader(std::string path, std::string_view text, size_t bom_bytes,
         const StructureChecker& structure)
      : path_(std::move(path)), text_(text), bom_bytes_(bom_bytes), structure_(structure) {}

  const std::string& path() const { return path_; }

  // "FILE:LINE" or "FILE:LINE:COLUMN" of a byte offset into the text (after any BOM).
  std::string Where(size_t offset, bool with_column) const {
    offset = std::min(offset, text_.size());
    const size_t line_start = text_.rfind('\n', offset == 0 ? 0 : offset - 1);
    const size_t from = (line_start == std::string_view::npos || offset == 0) ? 0 : line_start + 1;
    const int line =
        1 + static_cast<int>(
                std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(from), '\n'));
    if (!with_column) return fmt::format("{}:{}", path_, line);
    int column = 1;
    for (size_t i = from; i < offset; ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    }
    return fmt::format("{}:{}:{}", path_, line, column);
  }
  size_t FileOffset(size_t offset) const { return offset + bom_bytes_; }

  Status FailAt(size_t offset, bool with_column, const std::string& key,
                const std::string& what) const {
    return gongshi::Fail(
        ErrorCode::kInvalidConfig,
        fmt::format("{}: {}: {}", Where(offset, with_column), Displayable(key), what));
  }

  Status Fail(const std::string& key, const std::string& what) const {
    // batch.schedule[1] -> batch.schedule -> batch: the nearest key the file has.
    for (std::string path = key; !path.empty();) {
      if (const size_t offset = structure_.OffsetOf(path); offset != kNoOffset) {
        return FailAt(offset, /*with_column=*/false, key, what);
      }
      const size_t cut = path.find_last_of(".[");
      path.resize(cut == std::string::npos ? 0 : cut);
    }
    return gongshi::Fail(ErrorCode::kInvalidConfig,
                         fmt::format("{}: {}: {}", path_, Displayable(key), what));
  }

  // Rejects keys of `node` that are not in `known`.
  Status OnlyKeys(const YAML::Node& node, const std::string& prefix,
                  std::initializer_list<std::string_view> known) const {
    if (!node) return Ok();
    if (!node.IsMap()) return Fail(prefix.empty() ? "(top level)" : prefix, "expected a mapping");
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (std::string_view k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
        return Fail(prefix.empty() ? key : prefix + "." + key,
                    fmt::format("unknown key (known here: {})", list));
      }
    }
    return Ok();
  }

  Status String(const YAML::Node& node, const std::string& key, std::string& out) const {
    if (!node) return Ok();
    if (!node.IsScalar()) return Fail(key, "expected a string");
    out = node.as<std::string>();
    return Ok();
  }

  Status Unsigned(const YAML::Node& node, const std::string& key, uint64_t min, uint64_t max,
                  uint64_t& out) const {
    if (!node) return Ok();
    uint64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<uint64_t>::decode(node, value)) {
      return Fail(key, "expected a non-negative integer");
    }
    if (value < min || value > max) {
      return Fail(key, fmt::format("{} is out of range [{}, {}]", value, min, max));
    }
    out = value;
    return Ok();
  }

  Status Bool(const YAML::Node& node, const std::string& key, bool& out) const {
    if (!node) return Ok();
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, out)) {
      return Fail(key, "expected true or false");
    }
    return Ok();
  }

  // keep | mask | mask_name | drop, less those not in `allowed`.
  Status Rule(const YAML::Node& node, const std::string& key,
              std::initializer_list<FieldRule> allowed, const std::string& why_not,
              FieldRule& out) const {
    if (!node) return Ok();
    const std::string text = node.IsScalar() ? node.as<std::string>() : "";
    std::string names;
    for (FieldRule rule : allowed) {
      names += fmt::format("{}{}", names.empty() ? "" : ", ", FieldRuleName(rule));
    }
    for (FieldRule rule :
         {FieldRule::kKeep, FieldRule::kMask, FieldRule::kMaskName, FieldRule::kDrop}) {
      if (text != FieldRuleName(rule)) continue;
      if (std::find(allowed.begin(), allowed.end(), rule) == allowed.end()) {
        return Fail(
            key, fmt::format("'{}' is not allowed here ({}); use one of {}", text, why_not, names));
      }
      out = rule;
      return Ok();
    }
    return Fail(key, fmt::format("'{}' is not one of {}", text, names));
  }

  // A list of words (role words, markers): each a non-empty string; `no_whitespace` refuses
  // any whitespace in one (U+3000 included: a word with a space never follows in the text).
  Status Words(const YAML::Node& node, const std::string& key, bool no_whitespace,
               const std::string& why_not_empty, std::vector<std::string>& out) const {
    if (!node) return Ok();
    if (!node.IsSequence()) return Fail(key, "expected a list of strings");
    std::vector<std::string> words;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string item_key = fmt::format("{}[{}]", key, i);
      const YAML::Node item = node[i];
      if (item.IsNull()) return Fail(item_key, fmt::format("empty: {}", why_not_empty));
      if (!item.IsScalar()) return Fail(item_key, "expected a string");
      std::string word = item.as<std::string>();
      if (FirstBadCharacter(word)) return Fail(item_key, "not valid UTF-8 text");
      bool blank = true, has_space = false;
      for (size_t at = 0; at < word.size();) {
        const size_t length = Utf8SequenceLength(word, at);
        const bool space = IsWhitespace(DecodeUtf8(word, at, length));
        blank = blank && space;
        has_space = has_space || space;
        at += length;
      }
      if (blank) return Fail(item_key, fmt::format("empty or only blanks: {}", why_not_empty));
      if (no_whitespace && has_space) {
        return Fail(item_key, fmt::format("'{}' has whitespace in it: give one word", word));
      }
      words.push_back(std::move(word));
    }
    out = std::move(words);
    return Ok();
  }

 private:
  std::string path_;
  std::string_view text_;
  size_t bom_bytes_;
  const StructureChecker& structure_;
};

// A child of a section that may itself be absent; absent either way reads as "not given".
YAML::Node Child(const YAML::Node& parent, const char* key) {
  if (!parent || !parent.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return parent[key];
}

#define GONGSHI_TRY(expr)                   \
  do {                                      \
    if (auto status = (expr); !status) {    \
      return gongshi::Fail(status.error()); \
    }                                       \
  } while (false)

// A mapping of librdkafka properties, passed through as strings.
Status ReadProperties(const Reader& r, const YAML::Node& node, const std::string& key,
                      std::vector<std::pair<std::string, std::string>>& out) {
  if (!node) return Ok();
  if (!node.IsMap())
    return Fail(r.Fail(key, "expected a mapping of librdkafka properties").error());
  for (const auto& entry : node) {
    const std::string name = entry.first.as<std::string>();
    if (!entry.second.IsScalar()) {
      return Fail(r.Fail(key + "." + name, "expected a scalar value").error());
    }
    out.emplace_back(name, entry.second.as<std::string>());
  }
  return Ok();
}

// A config is a few kilobytes; the cap keeps a wrong path (a log, a device) from being read
// whole, and keeps offsets inside yaml-cpp's int marks.
constexpr size_t kMaxConfigBytes = 16 << 20;

Result<std::string> ReadConfigFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: cannot read the file: it is a directory", path));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: cannot read the file: {}", path, std::strerror(errno)));
  }
  std::string bytes;
  char buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    bytes.append(buffer, n);
    if (bytes.size() > kMaxConfigBytes) {
      std::fclose(file);
      return Fail(
          ErrorCode::kInvalidConfig,
          fmt::format("{}: larger than {} MiB: not a config file", path, kMaxConfigBytes >> 20));
    }
  }
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (failed) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: cannot read the file: {}", path, std::strerror(read_errno)));
  }
  return bytes;
}

// The message for the first byte that is not UTF-8 or the first forbidden character, under the
// key (or list item) it is in.
Status BadCharacterError(const Reader& r, std::string_view text, const StructureChecker& structure,
                         const BadCharacter& bad) {
  const size_t line_start = bad.offset == 0 ? 0 : text.rfind('\n', bad.offset - 1);
  const size_t from = line_start == std::string_view::npos || bad.offset == 0 ? 0 : line_start + 1;
  std::string key = "(top level)";
  const StructureChecker::Located* at = structure.At(bad.offset);
  const bool same_line = at != nullptr && at->offset >= from;
  const size_t first_visible = text.find_first_not_of(" \t", from);
  if (!same_line && first_visible < bad.offset && text[first_visible] == '#') {
    key = "(a comment)";
  } else if (at != nullptr) {
    key = at->path;
  }
  if (bad.invalid_utf8) {
    std::string shown;
    for (size_t i = bad.offset; i < text.size() && i < bad.offset + 4 &&
                                (i == bad.offset || static_cast<unsigned char>(text[i]) >= 0x80);
         ++i) {
      shown += fmt::format("{}{:02X}", shown.empty() ? "" : " ",
                           static_cast<unsigned>(static_cast<unsigned char>(text[i])));
    }
    std::string hint = "save the file as UTF-8";
    if (r.FileOffset(0) == 0 &&
        (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF")) {
      hint =
          "the file looks like UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8";
    } else if (LooksLikeGb18030(text)) {
      hint = fmt::format(
          "the file looks like GB18030/GBK: save it as UTF-8 (iconv -f GB18030 -t UTF-8 {} > "
          "new.yaml)",
          r.path());
    }
    return r.FailAt(bad.offset, /*with_column=*/true, key,
                    fmt::format("not valid UTF-8 at byte {} ({}); gongshi reads its config as "
                                "UTF-8 only, and text in another encoding never matches the "
                                "records: {}",
                                r.FileOffset(bad.offset), shown, hint));
  }
  std::string why = "only tab, newline and CR may appear: remove it";
  if (bad.code_point == 0) {
    why += " (NUL bytes: a file saved as UTF-16 or UTF-32 has them; save it as UTF-8)";
  } else if (bad.code_point == 0xFEFF) {
    why = "a byte-order mark inside the file (two files put together?): remove it";
  }
  return r.FailAt(
      bad.offset, /*with_column=*/true, key,
      fmt::format("control character U+{:04X} at byte {}: {}",
                  static_cast<uint32_t>(bad.code_point), r.FileOffset(bad.offset), why));
}

}  // namespace

std::string_view FieldRuleName(FieldRule rule) {
  switch (rule) {
    case FieldRule::kKeep: return "keep";
    case FieldRule::kMask: return "mask";
    case FieldRule::kMaskName: return "mask_name";
    case FieldRule::kDrop: return "drop";
  }
  return "keep";
}

Result<Config> LoadConfig(const std::string& path) {
  Config config;
  config.source_path = path;
  auto bytes = ReadConfigFile(path);
  if (!bytes) return Fail(bytes.error());
  std::string_view text = *bytes;
  size_t bom_bytes = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    bom_bytes = 3;
    text.remove_prefix(3);
  }

  // yaml-cpp reads bytes it cannot decode as they are, so a GB18030 marker became a string
  // that never matched a 备注 and the record was published. Such bytes are refused, under the
  // key they stand in, which a parse of a copy without them tells.
  const std::optional<BadCharacter> bad = FirstBadCharacter(text);
  const std::string yaml = bad ? Sanitised(text) : std::string(text);
  StructureChecker structure(yaml);
  Reader r(path, text, bom_bytes, structure);
  std::optional<YAML::Exception> syntax_error;
  {
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    try {
      // The second document's events are read too, for the name of its first key.
      while (structure.documents() < 2 && parser.HandleNextDocument(structure)) {
      }
    } catch (const YAML::Exception& e) {
      syntax_error = e;
    }
  }
  if (bad) return Fail(BadCharacterError(r, text, structure, *bad).error());
  const auto& problem = structure.problem();
  const size_t second = structure.documents() >= 2 ? structure.second_document_offset() : kNoOffset;
  if (problem && (second == kNoOffset || problem->offset < second)) {
    return Fail(
        r.FailAt(problem->offset, /*with_column=*/true, problem->key, problem->what).error());
  }
  if (second != kNoOffset) {
    const std::string first_key = structure.FirstPathFrom(second);
    return Fail(r.FailAt(second, /*with_column=*/true,
                         first_key.empty() ? "(second document)" : first_key,
                         "a second YAML document starts here ('---'); a config is one document, "
                         "and yaml-cpp would ignore this one: merge it into the first")
                    .error());
  }
  if (syntax_error) {
    const size_t offset =
        syntax_error->mark.pos < 0 ? 0 : static_cast<size_t>(syntax_error->mark.pos);
    const StructureChecker::Located* after = structure.At(offset);
    return Fail(
        ErrorCode::kInvalidConfig,
        fmt::format(
            "{}: not valid YAML: {}{}", r.Where(offset, /*with_column=*/true), syntax_error->msg,
            after == nullptr ? "" : fmt::format(" (after key {})", Displayable(after->path))));
  }

  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidConfig, fmt::format("{}:{}:{}: not valid YAML: {}", path,
                                                       e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (root.IsNull()) return config;
  try {
    GONGSHI_TRY(
        r.OnlyKeys(root, "",
                   {"schemas_dir", "holidays_dir", "today", "input", "state", "redaction", "batch",
                    "deadline", "dead_letter", "kafka", "service", "http", "feeds", "kafka_sink"}));
    GONGSHI_TRY(r.String(Child(root, "schemas_dir"), "schemas_dir", config.schemas_dir));
    GONGSHI_TRY(r.String(Child(root, "holidays_dir"), "holidays_dir", config.holidays_dir));
    GONGSHI_TRY(r.String(Child(root, "today"), "today", config.today));

    const YAML::Node input = Child(root, "input");
    GONGSHI_TRY(r.OnlyKeys(input, "input", {"encoding", "max_record_bytes", "default_kind"}));
    GONGSHI_TRY(r.String(Child(input, "encoding"), "input.encoding", config.input.encoding));
    if (config.input.encoding != "utf-8" && config.input.encoding != "utf8" &&
        config.input.encoding != "gb18030" && config.input.encoding != "gbk") {
      return Fail(r.Fail("input.encoding", fmt::format("'{}' is not one of utf-8, gb18030, gbk",
                                                       config.input.encoding))
                      .error());
    }
    GONGSHI_TRY(r.Unsigned(Child(input, "max_record_bytes"), "input.max_record_bytes", 1024,
                           64ull << 20, config.input.max_record_bytes));
    GONGSHI_TRY(
        r.String(Child(input, "default_kind"), "input.default_kind", config.input.default_kind));
    if (!config.input.default_kind.empty() && config.input.default_kind != "license" &&
        config.input.default_kind != "penalty") {
      return Fail(r.Fail("input.default_kind", "expected license or penalty").error());
    }

    const YAML::Node state = Child(root, "state");
    GONGSHI_TRY(
        r.OnlyKeys(state, "state", {"dir", "hmac_key_file", "hmac_key_env", "block_cache_mb"}));
    GONGSHI_TRY(r.String(Child(state, "dir"), "state.dir", config.state.dir));
    GONGSHI_TRY(
        r.String(Child(state, "hmac_key_file"), "state.hmac_key_file", config.state.hmac_key_file));
    GONGSHI_TRY(
        r.String(Child(state, "hmac_key_env"), "state.hmac_key_env", config.state.hmac_key_env));
    uint64_t cache_mb = config.state.block_cache_bytes >> 20;
    GONGSHI_TRY(
        r.Unsigned(Child(state, "block_cache_mb"), "state.block_cache_mb", 8, 1 << 20, cache_mb));
    config.state.block_cache_bytes = cache_mb << 20;

    const YAML::Node redaction = Child(root, "redaction");
    GONGSHI_TRY(r.OnlyKeys(redaction, "redaction",
                           {"policy_version", "fields", "free_text", "names", "withhold"}));
    GONGSHI_TRY(r.String(Child(redaction, "policy_version"), "redaction.policy_version",
                         config.redaction.policy_version));
    if (const YAML::Node fields = Child(redaction, "fields")) {
      if (!fields.IsMap()) return Fail(r.Fail("redaction.fields", "expected a mapping").error());
      for (const auto& entry : fields) {
        const std::string name = entry.first.as<std::string>();
        FieldRule rule = FieldRule::kKeep;
        GONGSHI_TRY(
            r.Rule(entry.second, "redaction.fields." + name,
                   {FieldRule::kKeep, FieldRule::kMask, FieldRule::kMaskName, FieldRule::kDrop}, "",
                   rule));
        config.redaction.fields[name] = rule;
      }
    }
    const YAML::Node free_text = Child(redaction, "free_text");
    GONGSHI_TRY(r.OnlyKeys(free_text, "redaction.free_text",
                           {"id_numbers", "mobiles", "bank_cards", "emails"}));
    GONGSHI_TRY(r.Bool(Child(free_text, "id_numbers"), "redaction.free_text.id_numbers",
                       config.redaction.scan_id_numbers));
    GONGSHI_TRY(r.Bool(Child(free_text, "mobiles"), "redaction.free_text.mobiles",
                       config.redaction.scan_mobiles));
    GONGSHI_TRY(r.Bool(Child(free_text, "bank_cards"), "redaction.free_text.bank_cards",
                       config.redaction.scan_bank_cards));
    GONGSHI_TRY(r.Bool(Child(free_text, "emails"), "redaction.free_text.emails",
                       config.redaction.scan_emails));
    const YAML::Node withhold = Child(redaction, "withhold");
    GONGSHI_TRY(r.OnlyKeys(withhold, "redaction.withhold",
                           {"minors", "warning_only", "confidential_markers"}));
    GONGSHI_TRY(r.Bool(Child(withhold, "minors"), "redaction.withhold.minors",
                       config.redaction.withhold_minors));
    GONGSHI_TRY(r.Bool(Child(withhold, "warning_only"), "redaction.withhold.warning_only",
                       config.redaction.withhold_warning_only));
    GONGSHI_TRY(r.Words(Child(withhold, "confidential_markers"),
                        "redaction.withhold.confidential_markers", /*no_whitespace=*/false,
                        "an empty marker is found in every 备注, so every record with one "
                        "would be withheld",
                        config.redaction.confidential_markers));

    RedactionConfig::NamesConfig& names = config.redaction.names;
    const YAML::Node names_node = Child(redaction, "names");
    GONGSHI_TRY(r.OnlyKeys(
        names_node, "redaction.names",
        {"free_text", "individual_business_operator", "roles", "public_roles", "dictionary"}));
    GONGSHI_TRY(
        r.Bool(Child(names_node, "free_text"), "redaction.names.free_text", names.free_text));
    GONGSHI_TRY(r.Rule(Child(names_node, "individual_business_operator"),
                       "redaction.names.individual_business_operator",
                       {FieldRule::kKeep, FieldRule::kMaskName, FieldRule::kDrop},
                       "mask is for ID numbers; the operator's name takes a name rule",
                       names.individual_business_operator));
    GONGSHI_TRY(r.Words(Child(names_node, "roles"), "redaction.names.roles",
                        /*no_whitespace=*/true,
                        "a role word is what comes before a name in the text", names.roles));
    GONGSHI_TRY(r.Words(Child(names_node, "public_roles"), "redaction.names.public_roles",
                        /*no_whitespace=*/true,
                        "a role word is what comes before a name in the text", names.public_roles));
    GONGSHI_TRY(
        r.String(Child(names_node, "dictionary"), "redaction.names.dictionary", names.dictionary));

    const YAML::Node batch = Child(root, "batch");
    GONGSHI_TRY(r.OnlyKeys(
        batch, "batch",
        {"max_records", "max_bytes", "max_age_ms", "schedule", "deadline_margin_working_days"}));
    GONGSHI_TRY(r.Unsigned(Child(batch, "max_records"), "batch.max_records", 1, 1 << 20,
                           config.batch.max_records));
    GONGSHI_TRY(r.Unsigned(Child(batch, "max_bytes"), "batch.max_bytes", 64 << 10, 1ull << 30,
                           config.batch.max_bytes));
    GONGSHI_TRY(r.Unsigned(Child(batch, "max_age_ms"), "batch.max_age_ms", 0,
                           31ull * 24 * 3600 * 1000, config.batch.max_age_ms));
    if (const YAML::Node schedule = Child(batch, "schedule")) {
      // One entry ("tue,fri 10:00") or a list of them.
      std::vector<std::string> entries;
      if (schedule.IsScalar()) {
        entries.push_back(schedule.as<std::string>());
      } else if (schedule.IsSequence()) {
        for (const auto& entry : schedule) {
          if (!entry.IsScalar()) {
            return Fail(
                r.Fail("batch.schedule", "expected strings like \"tue,fri 10:00\"").error());
          }
          entries.push_back(entry.as<std::string>());
        }
      } else {
        return Fail(r.Fail("batch.schedule", "expected a string or a list of strings").error());
      }
      for (const std::string& entry : entries) {
        if (auto slots = ParseScheduleEntry(entry); !slots) {
          return Fail(r.Fail("batch.schedule", slots.error().message()).error());
        }
      }
      config.batch.schedule = std::move(entries);
    }
    uint64_t margin = static_cast<uint64_t>(config.batch.deadline_margin_working_days);
    GONGSHI_TRY(r.Unsigned(Child(batch, "deadline_margin_working_days"),
                           "batch.deadline_margin_working_days", 0, 10, margin));
    config.batch.deadline_margin_working_days = static_cast<int>(margin);

    const YAML::Node deadline = Child(root, "deadline");
    GONGSHI_TRY(r.OnlyKeys(deadline, "deadline",
                           {"publication_working_days", "region", "pipeline_slack_working_days"}));
    uint64_t days = static_cast<uint64_t>(config.deadline.publication_working_days);
    GONGSHI_TRY(r.Unsigned(Child(deadline, "publication_working_days"),
                           "deadline.publication_working_days", 1, 60, days));
    config.deadline.publication_working_days = static_cast<int>(days);
    GONGSHI_TRY(r.String(Child(deadline, "region"), "deadline.region", config.deadline.region));
    uint64_t slack = 0;
    GONGSHI_TRY(r.Unsigned(Child(deadline, "pipeline_slack_working_days"),
                           "deadline.pipeline_slack_working_days", 0, 30, slack));
    config.deadline.pipeline_slack_working_days = static_cast<int>(slack);

    const YAML::Node dead_letter = Child(root, "dead_letter");
    GONGSHI_TRY(r.OnlyKeys(dead_letter, "dead_letter", {"original"}));
    GONGSHI_TRY(r.String(Child(dead_letter, "original"), "dead_letter.original",
                         config.dead_letter.original));
    if (config.dead_letter.original != "sealed" && config.dead_letter.original != "clear" &&
        config.dead_letter.original != "omit") {
      return Fail(r.Fail("dead_letter.original", "expected sealed, clear or omit").error());
    }
    const YAML::Node kafka = Child(root, "kafka");
    if (kafka) {
      KafkaConfig& k = config.kafka;
      k.enabled = true;
      GONGSHI_TRY(r.OnlyKeys(
          kafka, "kafka", {"properties", "topics", "topic_kinds", "max_wait_ms", "dead_letter"}));
      GONGSHI_TRY(ReadProperties(r, Child(kafka, "properties"), "kafka.properties", k.properties));
      bool servers = false, group = false;
      for (const auto& [key, value] : k.properties) {
        servers = servers || key == "bootstrap.servers";
        group = group || key == "group.id";
      }
      if (!servers) return Fail(r.Fail("kafka.properties.bootstrap.servers", "required").error());
      if (!group) return Fail(r.Fail("kafka.properties.group.id", "required").error());
      const YAML::Node topics = Child(kafka, "topics");
      if (!topics || !topics.IsSequence() || topics.size() == 0) {
        return Fail(r.Fail("kafka.topics", "expected a non-empty list of topics").error());
      }
      for (const auto& t : topics) k.topics.push_back(t.as<std::string>());
      if (const YAML::Node kinds = Child(kafka, "topic_kinds")) {
        if (!kinds.IsMap()) return Fail(r.Fail("kafka.topic_kinds", "expected a mapping").error());
        for (const auto& entry : kinds) {
          const std::string topic = entry.first.as<std::string>();
          const std::string kind = entry.second.as<std::string>();
          if (kind != "license" && kind != "penalty") {
            return Fail(
                r.Fail("kafka.topic_kinds." + topic, "expected license or penalty").error());
          }
          if (std::find(k.topics.begin(), k.topics.end(), topic) == k.topics.end()) {
            return Fail(r.Fail("kafka.topic_kinds." + topic, "not one of kafka.topics").error());
          }
          k.topic_kinds[topic] = kind;
        }
      }
      GONGSHI_TRY(
          r.Unsigned(Child(kafka, "max_wait_ms"), "kafka.max_wait_ms", 1, 600000, k.max_wait_ms));
      const YAML::Node dead_letter_topic = Child(kafka, "dead_letter");
      GONGSHI_TRY(r.OnlyKeys(dead_letter_topic, "kafka.dead_letter", {"to", "topic"}));
      GONGSHI_TRY(
          r.String(Child(dead_letter_topic, "to"), "kafka.dead_letter.to", k.dead_letter_to));
      GONGSHI_TRY(r.String(Child(dead_letter_topic, "topic"), "kafka.dead_letter.topic",
                           k.dead_letter_topic));
      if (k.dead_letter_to != "file" && k.dead_letter_to != "topic" && k.dead_letter_to != "both") {
        return Fail(r.Fail("kafka.dead_letter.to", "expected file, topic or both").error());
      }
      if (k.dead_letter_to != "file" && k.dead_letter_topic.empty()) {
        return Fail(
            r.Fail("kafka.dead_letter.topic",
                   fmt::format("required when kafka.dead_letter.to is {}", k.dead_letter_to))
                .error());
      }
    }

    const YAML::Node service = Child(root, "service");
    GONGSHI_TRY(
        r.OnlyKeys(service, "service",
                   {"out_dir", "metrics_address", "log_format", "shutdown_timeout_ms", "threads"}));
    GONGSHI_TRY(r.String(Child(service, "out_dir"), "service.out_dir", config.service.out_dir));
    GONGSHI_TRY(r.String(Child(service, "metrics_address"), "service.metrics_address",
                         config.service.metrics_address));
    if (config.service.metrics_address.find(':') == std::string::npos) {
      return Fail(
          r.Fail("service.metrics_address", "expected HOST:PORT, e.g. 127.0.0.1:9464").error());
    }
    GONGSHI_TRY(
        r.String(Child(service, "log_format"), "service.log_format", config.service.log_format));
    if (config.service.log_format != "text" && config.service.log_format != "json") {
      return Fail(r.Fail("service.log_format", "expected text or json").error());
    }
    GONGSHI_TRY(r.Unsigned(Child(service, "shutdown_timeout_ms"), "service.shutdown_timeout_ms",
                           100, 3600000, config.service.shutdown_timeout_ms));
    GONGSHI_TRY(
        r.Unsigned(Child(service, "threads"), "service.threads", 0, 256, config.service.threads));
    if (const YAML::Node sink = Child(root, "kafka_sink")) {
      config.kafka_sink.enabled = true;
      GONGSHI_TRY(r.OnlyKeys(sink, "kafka_sink", {"properties", "topics"}));
      GONGSHI_TRY(ReadProperties(r, Child(sink, "properties"), "kafka_sink.properties",
                                 config.kafka_sink.properties));
      const YAML::Node topics = Child(sink, "topics");
      GONGSHI_TRY(r.OnlyKeys(topics, "kafka_sink.topics", {"license", "penalty"}));
      GONGSHI_TRY(r.String(Child(topics, "license"), "kafka_sink.topics.license",
                           config.kafka_sink.license_topic));
      GONGSHI_TRY(r.String(Child(topics, "penalty"), "kafka_sink.topics.penalty",
                           config.kafka_sink.penalty_topic));
      if (config.kafka_sink.license_topic.empty() || config.kafka_sink.penalty_topic.empty()) {
        return Fail(
            r.Fail("kafka_sink.topics", "both license and penalty topics are required").error());
      }
      bool servers = false;
      for (const auto& [key, value] : config.kafka_sink.properties) {
        servers = servers || key == "bootstrap.servers";
      }
      if (!servers && !config.kafka.enabled) {
        return Fail(r.Fail("kafka_sink.properties.bootstrap.servers",
                           "required (without a kafka section to take it from)")
                        .error());
      }
    }
    const YAML::Node feeds = Child(root, "feeds");
    GONGSHI_TRY(r.OnlyKeys(feeds, "feeds", {"csv", "csv_encoding"}));
    GONGSHI_TRY(r.Bool(Child(feeds, "csv"), "feeds.csv", config.feeds.csv));
    GONGSHI_TRY(
        r.String(Child(feeds, "csv_encoding"), "feeds.csv_encoding", config.feeds.csv_encoding));
    if (config.feeds.csv_encoding != "utf-8-bom" && config.feeds.csv_encoding != "utf-8" &&
        config.feeds.csv_encoding != "utf8" && config.feeds.csv_encoding != "gb18030") {
      return Fail(r.Fail("feeds.csv_encoding", fmt::format("'{}' is not one of utf-8-bom, gb18030",
                                                           config.feeds.csv_encoding))
                      .error());
    }
    if (const YAML::Node http = Child(root, "http")) {
      config.http.enabled = true;
      GONGSHI_TRY(r.OnlyKeys(
          http, "http",
          {"url", "auth", "tls", "connect_timeout_ms", "timeout_ms", "backoff_initial_ms",
           "backoff_max_ms", "max_pending_batches", "drain_timeout_ms"}));
      GONGSHI_TRY(r.String(Child(http, "url"), "http.url", config.http.url));
      if (config.http.url.rfind("http://", 0) != 0 && config.http.url.rfind("https://", 0) != 0) {
        return Fail(r.Fail("http.url", "required, starting with https:// (or http://)").error());
      }
      const YAML::Node auth = Child(http, "auth");
      GONGSHI_TRY(r.OnlyKeys(auth, "http.auth", {"header", "scheme", "token_file", "token_env"}));
      GONGSHI_TRY(r.String(Child(auth, "header"), "http.auth.header", config.http.auth_header));
      GONGSHI_TRY(r.String(Child(auth, "scheme"), "http.auth.scheme", config.http.auth_scheme));
      GONGSHI_TRY(
          r.String(Child(auth, "token_file"), "http.auth.token_file", config.http.token_file));
      GONGSHI_TRY(r.String(Child(auth, "token_env"), "http.auth.token_env", config.http.token_env));
      const YAML::Node tls = Child(http, "tls");
      GONGSHI_TRY(r.OnlyKeys(tls, "http.tls", {"ca_file", "client_cert", "client_key", "verify"}));
      GONGSHI_TRY(r.String(Child(tls, "ca_file"), "http.tls.ca_file", config.http.ca_file));
      GONGSHI_TRY(
          r.String(Child(tls, "client_cert"), "http.tls.client_cert", config.http.client_cert));
      GONGSHI_TRY(
          r.String(Child(tls, "client_key"), "http.tls.client_key", config.http.client_key));
      GONGSHI_TRY(r.Bool(Child(tls, "verify"), "http.tls.verify", config.http.verify_tls));
      GONGSHI_TRY(r.Unsigned(Child(http, "connect_timeout_ms"), "http.connect_timeout_ms", 100,
                             600000, config.http.connect_timeout_ms));
      GONGSHI_TRY(r.Unsigned(Child(http, "timeout_ms"), "http.timeout_ms", 100, 3600000,
                             config.http.timeout_ms));
      GONGSHI_TRY(r.Unsigned(Child(http, "backoff_initial_ms"), "http.backoff_initial_ms", 1,
                             600000, config.http.backoff_initial_ms));
      GONGSHI_TRY(r.Unsigned(Child(http, "backoff_max_ms"), "http.backoff_max_ms", 1, 86400000,
                             config.http.backoff_max_ms));
      GONGSHI_TRY(r.Unsigned(Child(http, "max_pending_batches"), "http.max_pending_batches", 1,
                             100000, config.http.max_pending_batches));
      GONGSHI_TRY(r.Unsigned(Child(http, "drain_timeout_ms"), "http.drain_timeout_ms", 0, 86400000,
                             config.http.drain_timeout_ms));
    }
    if (config.kafka.enabled && config.service.out_dir.empty()) {
      return Fail(r.Fail("service.out_dir", "required with a kafka section").error());
    }
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return config;
}

}  // namespace gongshi
