#include "pipeline/config/config.h"

#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

#include "pipeline/batch/batcher.h"

namespace gongshi {
namespace {

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  Status Fail(const std::string& key, const std::string& what) const {
    return gongshi::Fail(ErrorCode::kInvalidConfig, fmt::format("{}: {}: {}", path_, key, what));
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

 private:
  std::string path_;
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
  Reader r(path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Fail(ErrorCode::kInvalidConfig, fmt::format("{}: cannot read the file", path));
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
    GONGSHI_TRY(
        r.OnlyKeys(redaction, "redaction", {"policy_version", "fields", "free_text", "withhold"}));
    GONGSHI_TRY(r.String(Child(redaction, "policy_version"), "redaction.policy_version",
                         config.redaction.policy_version));
    if (const YAML::Node fields = Child(redaction, "fields")) {
      if (!fields.IsMap()) return Fail(r.Fail("redaction.fields", "expected a mapping").error());
      for (const auto& entry : fields) {
        const std::string name = entry.first.as<std::string>();
        const std::string rule = entry.second.IsScalar() ? entry.second.as<std::string>() : "";
        FieldRule parsed;
        if (rule == "keep")
          parsed = FieldRule::kKeep;
        else if (rule == "mask")
          parsed = FieldRule::kMask;
        else if (rule == "mask_name")
          parsed = FieldRule::kMaskName;
        else if (rule == "drop")
          parsed = FieldRule::kDrop;
        else {
          return Fail(r.Fail("redaction.fields." + name,
                             fmt::format("'{}' is not one of keep, mask, mask_name, drop", rule))
                          .error());
        }
        config.redaction.fields[name] = parsed;
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
    if (const YAML::Node markers = Child(withhold, "confidential_markers")) {
      if (!markers.IsSequence()) {
        return Fail(r.Fail("redaction.withhold.confidential_markers", "expected a list of strings")
                        .error());
      }
      config.redaction.confidential_markers.clear();
      for (const auto& m : markers)
        config.redaction.confidential_markers.push_back(m.as<std::string>());
    }

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
    GONGSHI_TRY(r.OnlyKeys(service, "service",
                           {"out_dir", "metrics_address", "log_format", "shutdown_timeout_ms"}));
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
