// Fuzz target for the free-text scanner (pipeline/redact/pii_scanner.h): any bytes give sorted,
// non-overlapping, in-bounds findings of enabled kinds that keep no more digits than their kind's
// mask; turning a kind off changes only what the header says it changes; a neutral byte in front
// only shifts them; Redact copies only when it masks, masks what the findings' kept digits say,
// counts them, keeps UTF-8 valid, and its output scans clean (what the leak scan relies on).
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/record/arena.h"
#include "pipeline/redact/pii_scanner.h"
#include "tests/fuzz/fuzz_support.h"

namespace gongshi {
namespace {

using fuzz::PrintEscaped;

// Inputs above this are cut: free-text fields are a few KB, and a longer input only slows the
// run down (the scanner's look-aheads are bounded).
constexpr size_t kMaxInput = 64 * 1024;

void PrintSpans(const char* label, std::string_view text, const std::vector<PiiSpan>& spans) {
  std::fprintf(stderr, "  %s: %zu finding(s)\n", label, spans.size());
  for (const PiiSpan& s : spans) {
    std::fprintf(stderr, "    [%u, %u) %.*s kept %#llx", s.begin, s.end,
                 static_cast<int>(PiiKindName(s.kind).size()), PiiKindName(s.kind).data(),
                 static_cast<unsigned long long>(s.kept));
    if (s.begin <= s.end && s.end <= text.size()) {
      PrintEscaped("", text.substr(s.begin, s.end - s.begin));
    } else {
      std::fprintf(stderr, "\n");
    }
  }
}

#define CHECK_SCAN(condition, what, text, spans) \
  do {                                           \
    if (!(condition)) {                          \
      PrintEscaped("text", text);                \
      PrintSpans("findings", text, spans);       \
      GONGSHI_FUZZ_CHECK(condition, what);       \
    }                                            \
  } while (0)

bool ValidKind(PiiKind kind) {
  switch (kind) {
    case PiiKind::kIdNumber:
    case PiiKind::kMobile:
    case PiiKind::kBankCard:
    case PiiKind::kEmail: return true;
    case PiiKind::kName: return false;  // the name masker's, never a scanner finding
  }
  return false;
}

bool Enabled(const PiiScannerOptions& o, PiiKind kind) {
  switch (kind) {
    case PiiKind::kIdNumber: return o.id_numbers;
    case PiiKind::kMobile: return o.mobiles;
    case PiiKind::kBankCard: return o.bank_cards;
    case PiiKind::kEmail: return o.emails;
    case PiiKind::kName: return false;
  }
  return false;
}

uint64_t CountOf(const PiiCounts& c, PiiKind kind) {
  switch (kind) {
    case PiiKind::kIdNumber: return c.id_number;
    case PiiKind::kMobile: return c.mobile;
    case PiiKind::kBankCard: return c.bank_card;
    case PiiKind::kEmail: return c.email;
    case PiiKind::kName: return 0;
  }
  return 0;
}

// Width of a character a numeric mask hides at t[p] (ASCII or full-width digit, X x Ｘ ｘ), or 0.
size_t MaskableAt(std::string_view t, size_t p) {
  const auto c = static_cast<unsigned char>(t[p]);
  if ((c >= '0' && c <= '9') || c == 'X' || c == 'x') return 1;
  if (c != 0xEF || p + 3 > t.size()) return 0;
  const auto c1 = static_cast<unsigned char>(t[p + 1]), c2 = static_cast<unsigned char>(t[p + 2]);
  return (c1 == 0xBC && ((c2 >= 0x90 && c2 <= 0x99) || c2 == 0xB8)) || (c1 == 0xBD && c2 == 0x98)
             ? 3
             : 0;
}

// A numeric finding shows no more than its kind's rule (header, PiiSpan::kept): 35*************123,
// 138****5678, the last 4 of a card. Checked where the span can only be one reading: the kind's
// shortest length (a 15-digit ID, 11 digits, a 16-digit card). A longer span may join overlapping
// readings (an 18-digit span can be a 15-digit ID and a mobile before it), whose rules combine.
void CheckKept(std::string_view text, const PiiSpan& span, const std::vector<PiiSpan>& spans) {
  if (span.kind == PiiKind::kEmail) return;
  const std::string_view value = text.substr(span.begin, span.end - span.begin);
  size_t n = 0;
  for (size_t p = 0; p < value.size();) {
    const size_t w = MaskableAt(value, p);
    n += w != 0;
    p += w != 0 ? w : 1;
  }
  auto bits = [](size_t from, size_t to) {  // [from, to)
    uint64_t m = 0;
    for (size_t i = from; i < to && i < 64; ++i) m |= uint64_t{1} << i;
    return m;
  };
  uint64_t rule = ~uint64_t{0};
  if (span.kind == PiiKind::kIdNumber && n == 15) rule = bits(0, 2) | bits(12, 15);
  if (span.kind == PiiKind::kMobile && n == 11) rule = bits(0, 3) | bits(7, 11);
  if (span.kind == PiiKind::kBankCard && n == 16) rule = bits(12, 16);
  CHECK_SCAN((span.kept & ~rule) == 0, "a finding keeps a digit its kind's mask hides", text,
             spans);
  CHECK_SCAN(n >= 64 || span.kept >> n == 0, "a finding keeps digits it does not have", text,
             spans);
}

void CheckSpans(std::string_view text, const std::vector<PiiSpan>& spans,
                const PiiScannerOptions& options) {
  uint32_t previous_end = 0;
  for (const PiiSpan& span : spans) {
    CHECK_SCAN(span.begin < span.end, "a finding is empty or reversed", text, spans);
    CHECK_SCAN(span.end <= text.size(), "a finding ends past the text", text, spans);
    CHECK_SCAN(span.begin >= previous_end, "findings are unsorted or overlap", text, spans);
    CHECK_SCAN(ValidKind(span.kind), "a finding has no valid kind", text, spans);
    CHECK_SCAN(Enabled(options, span.kind), "a finding of a disabled kind", text, spans);
    CheckKept(text, span, spans);
    previous_end = span.end;
  }
}

// Whether `span` overlaps something written like an address: a run of characters an address may
// be written with (ASCII letters, digits, ._%+-, '*' of a masked one, full-width ASCII forms,
// 。 and brackets of "(at)", "【at】") that holds an @-form (@ ＠ # ＃ (at) [at] （at） 【at】).
// With e-mails off the scanner reads the digits of such a run as numbers, whether or not the e-mail
// reading reported it (a masked "z***@" address, a chained one): only there may turning e-mails
// off add a finding (besides where an address was reported). Deliberately generous: it must not
// hide a number found anywhere else.
size_t AddressCharAt(std::string_view t, size_t i) {
  const auto c = static_cast<unsigned char>(t[i]);
  if (c < 0x80) {
    return ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
            std::string_view("._%+-*@#()[]").find(static_cast<char>(c)) != std::string_view::npos)
               ? 1
               : 0;
  }
  if (i + 3 > t.size()) return 0;
  const auto c1 = static_cast<unsigned char>(t[i + 1]), c2 = static_cast<unsigned char>(t[i + 2]);
  if (c == 0xEF && ((c1 == 0xBC && c2 >= 0x81) || (c1 == 0xBD && c2 <= 0x9E))) return 3;  // FF01..
  if (c == 0xE3 && c1 == 0x80 && (c2 == 0x82 || c2 == 0x90 || c2 == 0x91)) return 3;  // 。【】
  return 0;
}

bool HoldsAtForm(std::string_view run) {
  for (std::string_view form : {"@", "＠", "#", "＃", "(at)", "[at]", "（at）", "【at】"}) {
    if (run.find(form) != std::string_view::npos) return true;
  }
  return false;
}

bool TouchesAddress(std::string_view text, const PiiSpan& span) {
  // Runs are found from the text's start, so a character is never read from its middle.
  size_t run_begin = 0;
  bool in_run = false;
  for (size_t i = 0; i <= text.size();) {
    const size_t w = i < text.size() ? AddressCharAt(text, i) : 0;
    if (w != 0 && !in_run) {
      run_begin = i;
      in_run = true;
    } else if (w == 0 && in_run) {
      in_run = false;
      if (run_begin < span.end && span.begin < i &&
          HoldsAtForm(text.substr(run_begin, i - run_begin))) {
        return true;
      }
    }
    if (i == text.size()) break;
    i += w != 0 ? w : 1;
  }
  return false;
}

struct Scanners {
  PiiScannerOptions options[5] = {
      {}, {.id_numbers = false}, {.mobiles = false}, {.bank_cards = false}, {.emails = false},
  };
  PiiScanner scanner[5] = {PiiScanner(options[0]), PiiScanner(options[1]), PiiScanner(options[2]),
                           PiiScanner(options[3]), PiiScanner(options[4])};
  PiiKind disabled[5] = {PiiKind::kIdNumber, PiiKind::kIdNumber, PiiKind::kMobile,
                         PiiKind::kBankCard, PiiKind::kEmail};  // [0] unused
};

// What one masking pass over `spans` writes, by the header's rules: a numeric finding's i-th
// digit (or X) stays if bit i of `kept` is set and becomes one '*' otherwise, everything else in
// it is copied; an e-mail gets MaskPiiTo's mask.
std::string MaskOnce(std::string_view text, const std::vector<PiiSpan>& spans) {
  std::string out;
  size_t copied = 0;
  for (const PiiSpan& span : spans) {
    out.append(text.substr(copied, span.begin - copied));
    const std::string_view value = text.substr(span.begin, span.end - span.begin);
    if (span.kind == PiiKind::kEmail) {
      std::string mask(MaskedSize(value, span.kind), '\0');
      mask.resize(MaskPiiTo(value, span.kind, mask.data()));
      out += mask;
    } else {
      size_t index = 0;
      for (size_t p = 0; p < value.size();) {
        const size_t w = MaskableAt(value, p);
        if (w == 0) {
          out += value[p++];
          continue;
        }
        if (index < 64 && (span.kept >> index & 1) != 0) {
          out.append(value.substr(p, w));
        } else {
          out += '*';
        }
        ++index;
        p += w;
      }
    }
    copied = span.end;
  }
  out.append(text.substr(copied));
  return out;
}

// `more` is `base` with some more digits (or X) turned into '*'.
bool OnlyMoreStars(std::string_view base, std::string_view more) {
  size_t i = 0, j = 0;
  while (i < base.size() && j < more.size()) {
    if (base[i] == more[j]) {
      ++i, ++j;
    } else if (const size_t w = MaskableAt(base, i); w != 0 && more[j] == '*') {
      i += w;
      ++j;
    } else {
      return false;
    }
  }
  return i == base.size() && j == more.size();
}

// Redact under `options`: the copy rule, the counts, UTF-8, that it masks what the findings say,
// and that its output scans clean.
void CheckRedact(const PiiScanner& scanner, std::string_view text,
                 const std::vector<PiiSpan>& spans, bool utf8) {
  static Arena arena(size_t{1} << 20);
  arena.Reset();
  PiiCounts counts;
  counts.id_number = 1;  // Redact adds to what the stage has counted so far
  counts.mobile = 2;
  counts.bank_card = 3;
  counts.email = 4;
  const PiiCounts before = counts;
  std::vector<PiiSpan> scratch = {{0, 1, PiiKind::kEmail}};  // stale: Redact must clear it
  const std::string_view out = scanner.Redact(text, arena, counts, scratch);
  if (spans.empty()) {
    CHECK_SCAN(out.data() == text.data() && out.size() == text.size(),
               "Redact copied a text with nothing to mask", text, spans);
    CHECK_SCAN(counts.total() == before.total(), "Redact counted findings in a clean text", text,
               spans);
    return;
  }
  CHECK_SCAN(out.data() != text.data(), "Redact returned its input though it found something", text,
             spans);
  CHECK_SCAN(out != text, "Redact found something but changed nothing", text, spans);
  // Every finding Scan reports is masked and counted (per kind; the scanner may count more if it
  // masks more, never less).
  for (PiiKind kind : {PiiKind::kIdNumber, PiiKind::kMobile, PiiKind::kBankCard, PiiKind::kEmail}) {
    uint64_t found = 0;
    for (const PiiSpan& s : spans) found += s.kind == kind;
    CHECK_SCAN(CountOf(counts, kind) - CountOf(before, kind) >= found,
               "Redact counted fewer findings of a kind than Scan reports", text, spans);
  }
  if (utf8 && !fuzz::ValidUtf8(out)) {
    PrintEscaped("redacted", out);
    CHECK_SCAN(false, "Redact made valid UTF-8 invalid", text, spans);
  }
  std::vector<PiiSpan> again;
  scanner.Scan(out, again);
  if (!again.empty()) {
    PrintEscaped("redacted", out);
    PrintSpans("findings in the redacted text", out, again);
    CHECK_SCAN(false, "Redact's output is not clean: Scan finds PII in it", text, spans);
  }
  // The first pass is the findings' masks. When its result scans clean that is the output; when
  // it does not, later passes may only hide more digits (unless they mask a new e-mail, whose mask
  // rewrites a local part).
  const std::string once = MaskOnce(text, spans);
  std::vector<PiiSpan> left;
  scanner.Scan(once, left);
  bool email_left = false;
  for (const PiiSpan& span : left) email_left = email_left || span.kind == PiiKind::kEmail;
  const bool ok = left.empty() ? out == once : email_left || OnlyMoreStars(once, out);
  if (!ok) {
    PrintEscaped("redacted", out);
    PrintEscaped("the findings' masks", once);
    CHECK_SCAN(false,
               left.empty() ? "Redact's output is not the masks its findings' kept digits say"
                            : "Redact showed a character its findings' masks hide",
               text, spans);
  }
}

void CheckOne(std::string_view text) {
  static Scanners s;
  static std::vector<PiiSpan> all, off, shifted_spans;
  static std::string shifted;
  const bool utf8 = fuzz::ValidUtf8(text);

  s.scanner[0].Scan(text, all);
  CheckSpans(text, all, s.options[0]);
  CheckRedact(s.scanner[0], text, all, utf8);

  // Turning one kind off. ID numbers, mobiles and cards stay recognised (header: "an ID number is
  // never reported as a bank card because IDs are off"), so the findings are exactly the full
  // scan's without that kind. E-mails off means addresses are not recognised at all and their
  // digits are scanned as numbers, so new findings may appear, but only where an address is
  // written (TouchesAddress).
  for (int v = 1; v < 5; ++v) {
    const PiiKind kind = s.disabled[v];
    s.scanner[v].Scan(text, off);
    CheckSpans(text, off, s.options[v]);
    if (kind != PiiKind::kEmail) {
      // Where and what, not which digits each mask keeps: that may be narrowed by readings of
      // the kind that is now off.
      bool same = true;
      size_t k = 0;
      for (const PiiSpan& span : all) {
        if (span.kind == kind) continue;
        same = same && k < off.size() && off[k].begin == span.begin && off[k].end == span.end &&
               off[k].kind == span.kind;
        ++k;
      }
      if (!same || k != off.size()) {
        std::fprintf(stderr, "  turned off: %.*s\n", static_cast<int>(PiiKindName(kind).size()),
                     PiiKindName(kind).data());
        PrintSpans("with every kind on", text, all);
        CHECK_SCAN(false, "turning one number kind off changed the findings of the other kinds",
                   text, off);
      }
    } else {
      for (const PiiSpan& span : off) {
        bool known = false, in_address = false;
        for (const PiiSpan& a : all) {
          known = known || (a.begin == span.begin && a.end == span.end && a.kind == span.kind);
          in_address =
              in_address || (a.kind == PiiKind::kEmail && a.begin < span.end && span.begin < a.end);
        }
        if (!known && !in_address && !TouchesAddress(text, span)) {
          PrintSpans("with every kind on", text, all);
          CHECK_SCAN(false, "turning e-mails off added a finding outside every address", text, off);
        }
      }
    }
    CheckRedact(s.scanner[v], text, off, utf8);
  }

  // A neutral byte in front shifts every finding by one and changes nothing else: a finding must
  // not depend on its offset or on how the scanner's wide reads fall on it.
  shifted.assign(1, '#');
  shifted.append(text);
  s.scanner[0].Scan(shifted, shifted_spans);
  bool same = shifted_spans.size() == all.size();
  for (size_t i = 0; same && i < all.size(); ++i) {
    PiiSpan moved = all[i];
    ++moved.begin;
    ++moved.end;
    same = shifted_spans[i] == moved;
  }
  if (!same) {
    PrintSpans("after a '#' in front", shifted, shifted_spans);
    CHECK_SCAN(same, "a '#' in front changed the findings", text, all);
  }

  // MaskedSize is what MaskPiiTo writes: its contract with a caller that sizes the buffer by it.
  for (const PiiSpan& span : all) {
    const std::string_view value = text.substr(span.begin, span.end - span.begin);
    std::string buffer(MaskedSize(value, span.kind), '\0');
    const size_t written = MaskPiiTo(value, span.kind, buffer.data());
    CHECK_SCAN(written == buffer.size(), "MaskPiiTo wrote another size than MaskedSize", text, all);
  }
}

}  // namespace
}  // namespace gongshi

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > gongshi::kMaxInput) size = gongshi::kMaxInput;
  // libFuzzer and the replay driver both pass a heap copy sized exactly, so a read past the end
  // of the text leaves the allocation and ASan reports it.
  gongshi::CheckOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
