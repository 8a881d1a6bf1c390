// The privacy corpus: thousands of valid records whose free text carries personal data in every
// form clerks type (gongshi generate --pii-forms adversarial) run through the whole path
// (`gongshi run --input`, NDJSON and CSV feeds); then every token the generator planted is looked
// for in the record's published fields by a reading written here, apart from the redactor: no
// identifier, address or name in clear, no mask showing more than its kept digits, and every
// negative control (dates, 文号, money, licence numbers, USCCs, company and place names) intact.
// `gongshi scan-leaks` must agree: nothing in the output, and on the raw input it finds them.
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/generate/generator.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;

constexpr uint64_t kRecords = 4000;

struct Token {
  PlantedKind kind;
  std::string field;
  std::string bytes;
  std::string canonical;
};

struct Line {
  Intent intent;
  std::string doc_no;
  std::vector<Token> tokens;
  std::map<std::string, std::string> fields;  // the input's free-text fields, by canonical name
};

// Full-width ASCII folded, and every separator clerks put between digit groups or between a
// name's characters dropped, so "138 － 1234" and "１３８1234" read as "1381234". Written here on
// purpose: the redactor's own reading is what this checks.
std::string Normalise(std::string_view s) {
  static const std::vector<std::string> kDropped = {" ",
                                                    "\t",
                                                    "\xC2\xA0",
                                                    "\xE3\x80\x80",
                                                    "\xE2\x80\x82",
                                                    "\xE2\x80\x83",
                                                    "\xE2\x80\x89",
                                                    "\xE2\x80\x8B",
                                                    "\xE2\x80\x8C",
                                                    "\xE2\x80\x8D",
                                                    "\xE2\x81\xA0",
                                                    "\xEF\xBB\xBF",
                                                    "-",
                                                    "\xE2\x80\x90",
                                                    "\xE2\x80\x91",
                                                    "\xE2\x80\x92",
                                                    "\xE2\x80\x93",
                                                    "\xE2\x80\x94",
                                                    "\xE2\x80\x95",
                                                    "\xE2\x88\x92",
                                                    "\xEF\xB9\xA3",
                                                    ".",
                                                    "\xC2\xB7",
                                                    "\xE3\x83\xBB",
                                                    "\xE2\x80\xA7",
                                                    "/",
                                                    "\\",
                                                    "_",
                                                    "\xE2\x80\xA2"};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    // U+FF01..U+FF5E: EF BC 81..BF, EF BD 80..9E.
    if (c == 0xEF && i + 2 < s.size()) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]);
      const auto b2 = static_cast<unsigned char>(s[i + 2]);
      if ((b1 == 0xBC && b2 >= 0x81) || (b1 == 0xBD && b2 <= 0x9E)) {
        const int cp = ((b1 & 0x3F) << 6 | (b2 & 0x3F)) + 0xF000 - 0xFEE0;
        const char ascii = static_cast<char>(cp);
        if (std::string_view("-./\\_ ").find(ascii) == std::string_view::npos) out += ascii;
        i += 3;
        continue;
      }
    }
    bool dropped = false;
    for (const std::string& d : kDropped) {
      if (s.compare(i, d.size(), d) == 0) {
        i += d.size();
        dropped = true;
        break;
      }
    }
    if (!dropped) out += s[i++];
  }
  return out;
}

// Digits a mask may leave: an ID number its first 2 and last 3, a mobile 3 and 4, a card its
// last 4; never a run of more than 4 of an identifier's digits in a row. A run of 5 digits of the
// identifier in the published field is a leak, unless the record's input holds those 5 digits
// elsewhere too (another number of the record that happens to share them).
bool DigitsLeaked(const std::string& canonical, const std::string& published,
                  const std::string& input_without_token) {
  for (size_t i = 0; i + 5 <= canonical.size(); ++i) {
    const std::string window = canonical.substr(i, 5);
    if (published.find(window) != std::string::npos &&
        input_without_token.find(window) == std::string::npos) {
      return true;
    }
  }
  return false;
}

class PrivacyCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GeneratorOptions options;
    options.seed = 20261207;
    options.today = DaysFromCivil(2026, 11, 30);
    options.pii_forms = PiiForms::kAdversarial;
    auto generator = Generator::Create(testing::Schemas(), options);
    ASSERT_TRUE(generator) << generator.error().ToString();
    std::string text, line;
    for (uint64_t i = 0; i < kRecords; ++i) {
      const GeneratedRecord record = generator->Next(line);
      Line l;
      l.intent = record.intent;
      l.doc_no = PartitionKey(testing::Schemas(), line, record.kind);
      for (const PlantedToken& t : record.planted) {
        l.tokens.push_back(
            {t.kind, std::string(t.field), std::string(t.bytes), std::string(t.canonical)});
        if (!l.fields.count(std::string(t.field))) {
          l.fields[std::string(t.field)] = FieldText(line, t.field, record.kind);
        }
      }
      lines_.push_back(std::move(l));
      text += line;
      text += '\n';
    }
    testing::WriteFile(dir_ / "in.ndjson", text);
    testing::WriteFile(dir_ / "gongshi.yaml", "today: 2026-11-30\nfeeds:\n  csv: true\n");
    const testing::ProcessResult run =
        testing::Run({"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "out", "--config",
                      dir_ / "gongshi.yaml"},
                     dir_.path());
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ReadFeeds();
  }

  // The unescaped text of one canonical field of a generated line (any of its names).
  std::string FieldText(const std::string& line, std::string_view field, RecordKind kind) {
    simdjson::dom::element doc;
    if (parser_.parse(line).get(doc)) return {};
    simdjson::dom::object object;
    if (doc.get(object)) return {};
    const RecordSchema& schema = testing::Schemas().For(kind);
    const int index = schema.FieldIndex(field);
    for (auto [key, value] : object) {
      if (schema.LookupKey(key) != index) continue;
      std::string_view s;
      if (!value.get(s)) return std::string(s);
    }
    return {};
  }

  void ReadFeeds() {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(dir_ / "out") / "feeds")) {
      const std::string path = entry.path().string();
      if (path.ends_with(".csv")) csv_ += Normalise(ReadFile(path));
      if (!path.ends_with(".ndjson")) continue;
      std::istringstream in(ReadFile(path));
      std::string line;
      while (std::getline(in, line)) {
        simdjson::dom::element doc;
        ASSERT_FALSE(parser_.parse(line).get(doc)) << path;
        std::map<std::string, std::string> fields;
        for (auto [key, value] : doc.get_object()) {
          std::string_view s;
          if (!value.get(s)) fields[std::string(key)] = std::string(s);
        }
        if (fields.count("decision_doc_no")) {
          published_[fields["decision_doc_no"]].push_back(std::move(fields));
        }
      }
    }
  }

  TempDir dir_;
  simdjson::dom::parser parser_;
  std::vector<Line> lines_;
  std::map<std::string, std::vector<std::map<std::string, std::string>>> published_;
  std::string csv_;
};

TEST_F(PrivacyCorpusTest, NothingPersonalIsPublishedInClearAndNoNegativeControlIsMasked) {
  std::map<PlantedKind, uint64_t> checked, leaked;
  uint64_t negatives = 0, negatives_masked = 0;
  std::vector<std::string> examples;
  for (size_t n = 0; n < lines_.size(); ++n) {
    const Line& line = lines_[n];
    if (line.intent != Intent::kNew && line.intent != Intent::kUpdate) continue;
    const auto versions = published_.find(line.doc_no);
    if (versions == published_.end()) continue;  // withheld (a minor, say): nothing to check
    for (const Token& token : line.tokens) {
      std::vector<std::string> texts;
      for (const auto& version : versions->second) {
        const auto field = version.find(token.field);
        if (field != version.end()) texts.push_back(field->second);
      }
      if (texts.empty()) continue;
      if (token.kind == PlantedKind::kNegative) {
        ++negatives;
        bool intact = false;
        for (const std::string& t : texts)
          intact = intact || t.find(token.bytes) != std::string::npos;
        if (!intact) {
          ++negatives_masked;
          if (examples.size() < 30) {
            examples.push_back("negative control masked: line " + std::to_string(n + 1) + " " +
                               token.field + " \"" + token.bytes + "\"");
          }
        }
        continue;
      }
      ++checked[token.kind];
      std::string input = line.fields.at(token.field);
      for (const Token& other : line.tokens) {
        if (other.field != token.field || other.canonical != token.canonical) continue;
        for (size_t at = input.find(other.bytes); at != std::string::npos;
             at = input.find(other.bytes)) {
          input.erase(at, other.bytes.size());
        }
      }
      const std::string rest = Normalise(input);
      bool leak = false;
      for (const std::string& t : texts) {
        const std::string published = Normalise(t);
        switch (token.kind) {
          case PlantedKind::kIdNumber:
          case PlantedKind::kMobile:
          case PlantedKind::kBankCard:
            leak = leak || DigitsLeaked(token.canonical, published, rest);
            break;
          case PlantedKind::kEmail: {
            // The mask keeps the local part's first character and the domain.
            const std::string local =
                Normalise(token.canonical.substr(0, token.canonical.find('@')));
            leak = leak ||
                   (local.size() >= 4 && published.find(local.substr(1)) != std::string::npos &&
                    rest.find(local.substr(1)) == std::string::npos);
            break;
          }
          case PlantedKind::kName:
            // A two-character name may be part of a word elsewhere (和国 in 共和国): only a name the
            // input does not hold besides the planted one counts.
            leak = leak || (published.find(token.canonical) != std::string::npos &&
                            rest.find(token.canonical) == std::string::npos);
            break;
          case PlantedKind::kNegative: break;
        }
      }
      if (leak) {
        ++leaked[token.kind];
        // Line, field and class only: the value stays out of the log, as everywhere.
        if (examples.size() < 30) {
          examples.push_back(std::string(PlantedKindName(token.kind)) + " in clear: line " +
                             std::to_string(n + 1) + " " + token.field);
        }
      }
    }
  }
  for (const std::string& e : examples) ADD_FAILURE() << e;
  for (PlantedKind kind : {PlantedKind::kIdNumber, PlantedKind::kMobile, PlantedKind::kBankCard,
                           PlantedKind::kEmail, PlantedKind::kName}) {
    EXPECT_GT(checked[kind], 300u) << PlantedKindName(kind) << ": the corpus must exercise it";
    EXPECT_EQ(leaked[kind], 0u) << PlantedKindName(kind) << " of " << checked[kind];
  }
  ASSERT_GT(negatives, 1000u);
  const double over_redaction = static_cast<double>(negatives_masked) / negatives;
  std::cout << "privacy corpus: " << checked[PlantedKind::kIdNumber] << " ID numbers, "
            << checked[PlantedKind::kMobile] << " mobiles, " << checked[PlantedKind::kBankCard]
            << " cards, " << checked[PlantedKind::kEmail] << " e-mails, "
            << checked[PlantedKind::kName] << " names checked; over-redaction " << negatives_masked
            << "/" << negatives << " negative controls\n";
  RecordProperty("over_redaction_rate", std::to_string(over_redaction));
  EXPECT_LT(over_redaction, 0.01);
}

TEST_F(PrivacyCorpusTest, TheCsvFeedsHoldNoPlantedIdentifier) {
  ASSERT_FALSE(csv_.empty());
  size_t checked = 0;
  for (const Line& line : lines_) {
    if (line.intent != Intent::kNew && line.intent != Intent::kUpdate) continue;
    for (const Token& token : line.tokens) {
      // Whole numbers of 11 digits and more do not turn up by chance. (Names are checked field
      // by field above: a company's 法定代表人 is published by policy in its own column.)
      if (token.kind != PlantedKind::kIdNumber && token.kind != PlantedKind::kMobile &&
          token.kind != PlantedKind::kBankCard) {
        continue;
      }
      ++checked;
      EXPECT_EQ(csv_.find(Normalise(token.canonical)), std::string::npos)
          << PlantedKindName(token.kind);
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST_F(PrivacyCorpusTest, ScanLeaksAgreesOnTheOutputAndFindsTheInputsPersonalData) {
  const testing::ProcessResult scan = testing::Run({"scan-leaks", dir_ / "out"}, dir_.path());
  EXPECT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  // The auditors' scan is not blind: over the raw input, laid out as an output, it fails.
  fs::create_directories(fs::path(dir_ / "raw") / "feeds");
  fs::copy_file(dir_ / "in.ndjson", fs::path(dir_ / "raw") / "feeds" / "raw.ndjson");
  const testing::ProcessResult raw = testing::Run({"scan-leaks", dir_ / "raw"}, dir_.path());
  EXPECT_EQ(raw.exit_code, 1) << raw.out << raw.err;
  for (std::string_view kind : {"id_number", "mobile", "bank_card", "email", "name"}) {
    EXPECT_NE(raw.out.find(kind), std::string::npos) << kind << "\n" << raw.out;
  }
}

}  // namespace
}  // namespace gongshi
