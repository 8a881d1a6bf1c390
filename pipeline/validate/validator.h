// Validator: the validate stage. Checks every parsed record against its kind's schema (types,
// lengths, enumerations, identifier checksums, dates, money, conditional rules) and leaves the
// normalised values the later stages use: canonical enum values, normalised codes, dates as day
// numbers, money as an exact count of 0.01 yuan, penalty categories as a bit set.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"

namespace gongshi {

struct ValidatorOptions {
  int32_t today = 0;  // day number of "today" in Asia/Shanghai; decisions after it are rejected
};

// Thread-safe: holds only read-only tables. Borrows `schemas`.
class Validator {
 public:
  Validator(const SchemaSet& schemas, ValidatorOptions options);

  // Validates every pending record; the first broken rule rejects it with that reason and field.
  void Process(RecordBatch& batch) const;
  // A part of a batch, rewritten values in the part's own `arena`. Const and without scratch
  // state: one Validator serves every core at once.
  void Process(std::span<Record> records, Arena& arena) const;
  void Validate(Record& record, Arena& arena) const;

  // Exact decimal in 万元 (at most 6 places) to 0.01 yuan (1e-6 万元). nullopt if malformed.
  static std::optional<int64_t> ParseWanYuan(std::string_view text);
  // Number of Unicode code points in valid UTF-8.
  static size_t CountChars(std::string_view utf8);

 private:
  struct KindTables {
    int subject_category = -1;
    int natural_person_value = -1;  // enum index of 自然人
    int id_card_value = -1;         // enum index of 身份证 in the id-type fields
  };
  bool CheckField(const RecordSchema& schema, int index, Record& record, Arena& arena) const;

  const SchemaSet& schemas_;
  ValidatorOptions options_;
  KindTables tables_[3];
};

}  // namespace gongshi
