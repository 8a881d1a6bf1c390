// Config: the typed configuration of a gongshi run, loaded once from YAML and checked before any
// record is read. Each field's comment gives its default and unit; `gongshi check-config` prints
// the first mistake with the file, the key and what would be right.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/record/error.h"

namespace gongshi {

struct InputConfig {
  std::string encoding = "utf-8";         // input.encoding: utf-8 | gb18030 (GBK included)
  uint64_t max_record_bytes = 256 << 10;  // input.max_record_bytes: larger messages are rejected
  std::string default_kind;               // input.default_kind: "", license or penalty
};

struct StateConfig {
  std::string dir;  // state.dir: RocksDB directory; `--state` overrides; default OUT/state
  // The HMAC key for personal identifiers and fingerprints: state.hmac_key_file (a file holding
  // the key), else the environment variable named by state.hmac_key_env (default
  // GONGSHI_HMAC_KEY), else a key generated once into <state.dir>/hmac.key (mode 0600).
  std::string hmac_key_file;
  std::string hmac_key_env = "GONGSHI_HMAC_KEY";
  uint64_t block_cache_bytes = 256ull << 20;  // state.block_cache_mb: RocksDB cache, filters too
};

// What happens to a field tagged x-gongshi-personal in the schemas.
enum class FieldRule : uint8_t { kKeep, kMask, kMaskName, kDrop };

struct RedactionConfig {
  std::string policy_version = "default-2026.1";  // redaction.policy_version: in every manifest
  // redaction.fields: canonical field name -> keep | mask | mask_name | drop. Defaults: ID numbers
  // masked 35*************123 (spec), the legal representative's ID number and type dropped,
  // a natural person's name masked to the surname (张*). Every personal field must have a rule.
  std::map<std::string, FieldRule> fields = {
      {"subject_id_no", FieldRule::kMask},     {"legal_rep_id_no", FieldRule::kDrop},
      {"legal_rep_id_type", FieldRule::kDrop}, {"subject_id_type", FieldRule::kKeep},
      {"subject_name", FieldRule::kMaskName},  {"legal_rep_name", FieldRule::kKeep},
  };
  // redaction.free_text.*: what the free-text scanner masks in every published text field.
  bool scan_id_numbers = true;
  bool scan_mobiles = true;
  bool scan_bank_cards = true;
  bool scan_emails = true;
  // redaction.withhold.*: whole records kept from publication (暂行办法 Art. 5, SAMR 令45 Art. 2).
  bool withhold_minors = true;
  bool withhold_warning_only = true;
  // redaction.withhold.confidential_markers: a 备注 containing one withholds the record. Each
  // must be non-empty (an empty one is found in every 备注).
  std::vector<std::string> confidential_markers = {"不予公示", "涉密", "不公开"};
  // redaction.names.*: names of natural persons beyond the tagged name fields. The redaction
  // stage reads the dictionary (surnames, role words, public roles) and applies these.
  struct NamesConfig {
    // redaction.names.free_text (default true): in every free-text field, mask the record's own
    // natural persons and any person named after a role word (当事人, 经营者, 驾驶人, …).
    bool free_text = true;
    // redaction.names.individual_business_operator (default mask_name): keep | mask_name | drop.
    // The operator (经营者, carried in legal_rep_name) of a 个体工商户 is a natural person, unlike
    // a company's 法定代表人 (redaction.fields.legal_rep_name, default keep). mask is refused: it
    // is for ID numbers only.
    FieldRule individual_business_operator = FieldRule::kMaskName;
    // redaction.names.roles (default []): role words added to the dictionary's list; the words
    // after one name a person. Non-empty, no whitespace.
    std::vector<std::string> roles;
    // redaction.names.public_roles (default [法定代表人]): names after these roles are published
    // as they are (the national standard publishes a company's 法定代表人). Non-empty, no
    // whitespace.
    std::vector<std::string> public_roles = {"法定代表人"};
    // redaction.names.dictionary (default "": <schemas_dir>/names.json): the names dictionary.
    std::string dictionary;
  } names;
};

struct BatchConfig {
  uint64_t max_records = 16384;      // batch.max_records: a feed batch holds at most this many
  uint64_t max_bytes = 32ull << 20;  // batch.max_bytes: ...and at most this many input bytes
  // batch.max_age_ms: the service holds records until the oldest is this old. Default 0: what
  // a poll returns is published at once (continuous flushing).
  uint64_t max_age_ms = 0;
  // batch.schedule: a schedule-driven feed publishes at these times (Asia/Shanghai), e.g.
  // "tue,fri 10:00" or a list of such entries; records wait for the next slot.
  std::vector<std::string> schedule;
  // batch.deadline_margin_working_days: a held record is published at once when waiting for
  // the next regular flush would leave fewer than this many working days before its deadline.
  int deadline_margin_working_days = 1;
};

struct DeadlineConfig {
  int publication_working_days = 7;  // deadline.publication_working_days (国办发〔2015〕51号)
  std::string region;                // deadline.region: regional holidays, e.g. guangxi
  // deadline.pipeline_slack_working_days: a late record that arrived with fewer working days
  // left than this counts as source-late; with more, as pipeline-late. Default 0: only records
  // that arrived after their deadline are the source's fault.
  int pipeline_slack_working_days = 0;
};

struct DeadLetterConfig {
  // dead_letter.original: how the original bytes are kept. sealed (default): AES-256-GCM under a
  // key derived from the HMAC key, so the dead-letter holds no personal data in clear and
  // `gongshi dlq show` can still recover the bytes; clear: base64 of the bytes; omit: not kept.
  std::string original = "sealed";
};

// The Kafka source of `gongshi run --config FILE` (the continuous service). Present = service mode.
struct KafkaConfig {
  bool enabled = false;  // true when the config has a kafka section
  // kafka.properties: librdkafka properties passed through as they are, so TLS and SASL work as
  // librdkafka documents them (security.protocol, ssl.*, sasl.*). bootstrap.servers and group.id
  // are required. gongshi's own defaults (cooperative-sticky, manual offset store) come first.
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<std::string> topics;  // kafka.topics: the license and penalty topics
  // kafka.topic_kinds: topic -> license | penalty, for topics whose records name neither.
  std::map<std::string, std::string> topic_kinds;
  uint64_t max_wait_ms = 1000;  // kafka.max_wait_ms: how long a poll may gather a batch
  // kafka.dead_letter.to: where rejects go: file (OUT/dlq), topic, or both.
  std::string dead_letter_to = "file";
  std::string dead_letter_topic;  // kafka.dead_letter.topic: required with topic or both
};

struct ServiceConfig {
  std::string out_dir;  // service.out_dir: feeds/, dlq/, withheld/ (required in service mode)
  std::string metrics_address = "127.0.0.1:9464";  // service.metrics_address; port 0 = any
  std::string log_format = "text";                 // service.log_format: text | json
  uint64_t shutdown_timeout_ms = 30000;  // service.shutdown_timeout_ms: then exit regardless
  // service.threads: the cores a run uses for the batches' data-parallel stages (parse,
  // validate, redact), the file pass, replay and the Kafka service alike; 0 = every core.
  // 1 runs everything on one thread, as before there was a pool.
  uint64_t threads = 0;
};

// The Kafka sink: the feed to a topic per kind, for sites that ingest from Kafka.
struct KafkaSinkConfig {
  bool enabled = false;  // true when the config has a kafka_sink section
  // kafka_sink.properties: librdkafka producer properties; default: the connection properties
  // (servers, TLS, SASL) of the kafka section.
  std::vector<std::pair<std::string, std::string>> properties;
  std::string license_topic;  // kafka_sink.topics.license
  std::string penalty_topic;  // kafka_sink.topics.penalty
};

// The feed files: NDJSON always, the national CSV template beside it on request.
struct FeedsConfig {
  bool csv = false;                        // feeds.csv
  std::string csv_encoding = "utf-8-bom";  // feeds.csv_encoding: utf-8-bom | gb18030
};

// The HTTP sink: each feed batch POSTed to the disclosure site, idempotency key = batch id.
struct HttpConfig {
  bool enabled = false;  // true when the config has an http section
  std::string url;       // http.url (required)
  // http.auth: the header carrying the site's token, "<header>: <scheme> <token>". The token
  // comes from http.auth.token_file, else $<http.auth.token_env>; it is never logged.
  std::string auth_header = "Authorization";
  std::string auth_scheme = "Bearer";
  std::string token_file;
  std::string token_env;
  std::string ca_file;  // http.tls.ca_file, client_cert, client_key, verify (default true)
  std::string client_cert;
  std::string client_key;
  bool verify_tls = true;
  uint64_t connect_timeout_ms = 5000;  // http.connect_timeout_ms
  uint64_t timeout_ms = 30000;         // http.timeout_ms: a whole request
  uint64_t backoff_initial_ms = 500;   // http.backoff_initial_ms: first retry wait (jittered)
  uint64_t backoff_max_ms = 60000;     // http.backoff_max_ms: longest wait, Retry-After included
  // http.max_pending_batches: the service stops consuming while more batches than this wait
  // for the site (they are durable locally; nothing is lost, the deadlines show the wait).
  uint64_t max_pending_batches = 8;
  // http.drain_timeout_ms: how long a file pass keeps trying to deliver at its end; what is left
  // is delivered by the next run or `gongshi reconcile --send`.
  uint64_t drain_timeout_ms = 60000;
};

struct Config {
  std::string source_path;   // the file the config came from, for messages
  std::string schemas_dir;   // schemas_dir: default the installed/built-in schemas
  std::string holidays_dir;  // holidays_dir: default the State Council data shipped with gongshi
  std::string today;         // today: YYYY-MM-DD, fixes "today" for reproducible runs and tests
  InputConfig input;
  StateConfig state;
  RedactionConfig redaction;
  BatchConfig batch;
  DeadlineConfig deadline;
  DeadLetterConfig dead_letter;
  KafkaConfig kafka;
  ServiceConfig service;
  HttpConfig http;
  FeedsConfig feeds;
  KafkaSinkConfig kafka_sink;
};

std::string_view FieldRuleName(FieldRule rule);

// Reads and checks a YAML config. Unknown keys are errors (a typo must not silently fall back to
// a default). The message names the file, the line, the key and the accepted values. Refused
// before any value is read: bytes that are not strict UTF-8 (a UTF-8 BOM is allowed; a file that
// decodes as GB18030/GBK is named as such), control characters other than tab, LF and CR (in
// the file, or in a value through an escape), a key given twice in one mapping at any depth, a
// non-scalar or null key, and a second YAML document.
Result<Config> LoadConfig(const std::string& path);

}  // namespace gongshi
