// Redactor: the redact stage. Applies the structured-field policy to the fields the schemas tag as
// personal, masks ID numbers, mobiles, bank cards, e-mails and the names of natural persons in
// every published text, and withholds whole records that must not be published (minors,
// confidential, warning-only).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "pipeline/config/config.h"
#include "pipeline/record/record.h"
#include "pipeline/redact/name_masker.h"
#include "pipeline/redact/pii_scanner.h"
#include "pipeline/schema/schema.h"

namespace gongshi {

// What one batch's redaction did, for the summary and metrics.
struct RedactionCounts {
  PiiCounts free_text;
  uint64_t names = 0;  // names of natural persons masked in free text
  uint64_t fields_masked = 0;
  uint64_t fields_dropped = 0;
  // Adds a part of the batch's figures (the parts redacted on other cores).
  void Add(const RedactionCounts& part) {
    free_text.id_number += part.free_text.id_number;
    free_text.mobile += part.free_text.mobile;
    free_text.bank_card += part.free_text.bank_card;
    free_text.email += part.free_text.email;
    names += part.names;
    fields_masked += part.fields_masked;
    fields_dropped += part.fields_dropped;
  }
};

// Thread-compatible: Process() keeps scratch state, so one Redactor per worker.
class Redactor {
 public:
  // The policy lint: every field a schema tags as personal must have a rule in `config.fields`,
  // and the rule must fit the field (an ID number is never kept in clear, only a name can be
  // masked to its surname). Otherwise the run refuses to start, naming the field. The names
  // dictionary is config.names.dictionary, else names.json beside the schemas.
  static Result<std::unique_ptr<Redactor>> Create(const SchemaSet& schemas,
                                                  const RedactionConfig& config);

  // Withholds what must not be published, then redacts the fields of every record that will be
  // published. A withheld update of something already published becomes a withdrawal.
  void Process(RecordBatch& batch, RedactionCounts& counts);
  // A part of a batch, masked values in the part's own `arena` (a Redactor per core).
  void Process(std::span<Record> records, Arena& arena, RedactionCounts& counts);

  // Masks a natural person's name to its surname: 张三 -> 张*, 欧阳娜娜 -> 欧阳**.
  std::string_view MaskName(std::string_view name, Arena& arena) const;

 private:
  struct KindPolicy {
    std::vector<FieldRule> rules;  // by field index; kKeep for non-personal fields
    std::vector<bool> scan;        // by field index: run the free-text scanner on it
    int subject_category = -1;
    int natural_person_value = -1;
    int individual_business_value = -1;
    int legal_rep_name = -1;
    int subject_id_no = -1;
    int decision_date = -1;
    int confidential = -1;
    int remark = -1;
    int penalty_categories = -1;
    uint64_t warning_only_mask = 0;  // 警告 | 通报批评
  };
  Redactor(const SchemaSet& schemas, const RedactionConfig& config);
  WithholdReason WithholdFor(const Record& record, const KindPolicy& policy);
  bool RemarkHasMarker(std::string_view remark);
  void RedactFields(Record& record, const KindPolicy& policy, Arena& arena,
                    RedactionCounts& counts);

  const SchemaSet& schemas_;
  RedactionConfig config_;
  PiiScanner scanner_;
  std::unique_ptr<NameMasker> names_;  // null with redaction.names.free_text off
  KindPolicy policies_[3];
  std::vector<std::string> markers_;  // confidential markers, normalised like remarks
  std::vector<PiiSpan> scratch_;
  std::vector<NameMasker::Hidden> name_scratch_;
  std::string remark_;  // a remark, normalised
};

}  // namespace gongshi
