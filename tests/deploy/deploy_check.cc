// deploy_check: the C++ half of the deploy tests (check_deploy.sh runs it). It knows the metric
// names the code defines, so the dashboard can be checked against them rather than against a copy.
//   deploy_check exposition                  every family, populated, in the text format
//   deploy_check dashboard FILE              the JSON parses; every metric it queries exists
//   deploy_check alerts FILE                 every metric an alerting rule queries exists
//   deploy_check yaml FILE...                each file parses as YAML
//   deploy_check compose-config FILE OUT     writes compose's configs.gongshi-config.content
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include "pipeline/metrics/metrics.h"

namespace gongshi {
namespace {

int Exposition() {
  auto metrics = ServiceMetrics::Create({.version = "0.0.0-check", .revision = "none"});
  if (!metrics) {
    std::cerr << metrics.error().ToString() << "\n";
    return 1;
  }
  // The lag family has no child without an assignment; give every family a sample.
  const std::vector<int32_t> partitions = {0, 1};
  (*metrics)->AssignPartitions("shuanggongshi.penalty", partitions);
  (*metrics)->SetConsumerLag("shuanggongshi.penalty", 1, 42);
  BatchCounts counts;
  counts.records_read = 3;
  counts.CountFlush(FlushCause::kAge, 3, 4096);
  counts.end_to_end_latency_seconds.Observe(2);
  counts.publication_latency_working_days.Observe(6);
  counts.lateness[1] = 1;  // on_time
  (*metrics)->Add(counts);
  (*metrics)->SetDeadlineRisk(1, 0.5);
  (*metrics)->SetCalendarCoverage(2025, true);
  std::cout << (*metrics)->Serialize();
  return 0;
}

// The names a query may use: each family, and a histogram's _bucket, _sum and _count series.
std::set<std::string, std::less<>> KnownSeries() {
  std::set<std::string, std::less<>> known;
  for (const std::string_view name : ServiceMetrics::FamilyNames()) known.emplace(name);
  for (const std::string_view name : ServiceMetrics::HistogramFamilyNames()) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      known.insert(std::string(name) + suffix);
    }
  }
  return known;
}

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Identifiers of a PromQL expression that name our metrics. Quoted text (label values) and
// Grafana variables ($instance, $__rate_interval) are skipped.
std::vector<std::string> MetricNamesIn(std::string_view query) {
  std::vector<std::string> names;
  for (size_t i = 0; i < query.size();) {
    const char c = query[i];
    if (c == '"' || c == '\'' || c == '`') {
      const size_t end = query.find(c, i + 1);
      i = end == std::string_view::npos ? query.size() : end + 1;
      continue;
    }
    if (!IsNameStart(c)) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < query.size() && IsNameChar(query[end])) ++end;
    const std::string_view token = query.substr(i, end - i);
    const bool variable = i > 0 && query[i - 1] == '$';
    if (!variable && (token.starts_with("gongshi_") || token.starts_with("process_"))) {
      names.emplace_back(token);
    }
    i = end;
  }
  return names;
}

struct DashboardCheck {
  std::set<std::string, std::less<>> known = KnownSeries();
  std::set<std::string, std::less<>> used;
  std::set<int64_t> panel_ids;
  int queries = 0;
  int panels = 0;
  int errors = 0;

  void Error(const std::string& message) {
    std::cerr << "dashboard: " << message << "\n";
    ++errors;
  }

  void Query(std::string_view where, std::string_view query) {
    ++queries;
    for (const std::string& name : MetricNamesIn(query)) {
      used.insert(name);
      if (!known.contains(name)) {
        Error(std::string(where) + " queries " + name + ", which pipeline/metrics does not define");
      }
    }
  }

  // Every string under "expr", "query" or "definition", anywhere (targets, templating).
  void Walk(simdjson::dom::element element, std::string_view where) {
    if (element.is_object()) {
      for (const auto field : element.get_object()) {
        const std::string_view key = field.key;
        if ((key == "expr" || key == "query" || key == "definition") && field.value.is_string()) {
          Query(where, field.value.get_string().value());
        } else {
          Walk(field.value, where);
        }
      }
    } else if (element.is_array()) {
      for (const auto item : element.get_array()) Walk(item, where);
    }
  }

  void Panel(simdjson::dom::element panel) {
    ++panels;
    std::string_view title;
    std::string_view type;
    int64_t id = 0;
    if (panel["title"].get(title) || panel["type"].get(type) || panel["id"].get(id)) {
      Error("a panel lacks a title, type or id");
      return;
    }
    const std::string where = "panel \"" + std::string(title) + "\"";
    if (!panel_ids.insert(id).second) Error(where + " repeats id " + std::to_string(id));
    simdjson::dom::object grid;
    if (panel["gridPos"].get(grid)) Error(where + " has no gridPos");
    if (type == "row" || type == "text") return;
    simdjson::dom::array targets;
    if (panel["targets"].get(targets) || targets.size() == 0) {
      Error(where + " has no targets");
      return;
    }
    for (const auto target : targets) {
      std::string_view expr;
      if (target["expr"].get(expr) || expr.empty()) Error(where + " has a target without expr");
    }
    Walk(panel, where);
  }
};

int Dashboard(const char* path) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.load(path).get(root)) {
    std::cerr << path << ": not valid JSON: " << simdjson::error_message(error) << "\n";
    return 1;
  }
  DashboardCheck check;
  simdjson::dom::array panels;
  std::string_view uid;
  if (root["uid"].get(uid) || uid.empty()) check.Error("no uid (provisioning needs a stable one)");
  if (root["panels"].get(panels) || panels.size() == 0) {
    std::cerr << path << ": no panels\n";
    return 1;
  }
  for (const auto panel : panels) check.Panel(panel);
  simdjson::dom::element templating;
  if (!root["templating"].get(templating)) check.Walk(templating, "templating");
  if (check.queries == 0) check.Error("no queries at all");
  // Not an error: a family may be there for alerts or ad-hoc queries.
  for (const std::string_view family : ServiceMetrics::FamilyNames()) {
    const auto used = [&](std::string_view suffix) {
      return check.used.contains(std::string(family) + std::string(suffix));
    };
    if (!used("") && !used("_bucket") && !used("_sum") && !used("_count")) {
      std::cout << "note: no panel shows " << family << "\n";
    }
  }
  if (check.errors != 0) {
    std::cerr << path << ": " << check.errors << " problem(s), listed above\n";
    return 1;
  }
  std::cout << path << ": " << check.panels << " panels, " << check.queries << " queries, "
            << check.used.size() << " metric names, each defined by pipeline/metrics\n";
  return 0;
}

// promtool checks the rules' syntax and the unit tests feed them series by name, so neither
// notices a rule querying a metric the code has renamed: it would just never fire.
int Alerts(const char* path) {
  const std::set<std::string, std::less<>> known = KnownSeries();
  int rules = 0;
  int errors = 0;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    for (const YAML::Node& group : root["groups"]) {
      for (const YAML::Node& rule : group["rules"]) {
        ++rules;
        const std::string name =
            rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>("?");
        for (const std::string& metric : MetricNamesIn(rule["expr"].as<std::string>(""))) {
          if (!known.contains(metric)) {
            std::cerr << path << ": " << name << " queries " << metric
                      << ", which pipeline/metrics does not define\n";
            ++errors;
          }
        }
      }
    }
  } catch (const YAML::Exception& e) {
    std::cerr << path << ": " << e.what() << "\n";
    return 1;
  }
  if (rules == 0) {
    std::cerr << path << ": no rules\n";
    return 1;
  }
  if (errors != 0) return 1;
  std::cout << path << ": " << rules << " rules, each metric defined by pipeline/metrics\n";
  return 0;
}

int Yaml(int argc, char** argv) {
  int errors = 0;
  for (int i = 0; i < argc; ++i) {
    // yaml-cpp reports a parse error only by throwing; this is a test tool, not the record path.
    try {
      const YAML::Node node = YAML::LoadFile(argv[i]);
      if (!node.IsMap()) {
        std::cerr << argv[i] << ": expected a mapping at the top\n";
        ++errors;
        continue;
      }
      std::cout << argv[i] << ": parses\n";
    } catch (const YAML::Exception& e) {
      std::cerr << argv[i] << ": " << e.what() << "\n";
      ++errors;
    }
  }
  return errors == 0 ? 0 : 1;
}

int ComposeConfig(const char* compose, const char* out) {
  try {
    const YAML::Node root = YAML::LoadFile(compose);
    const YAML::Node content = root["configs"]["gongshi-config"]["content"];
    if (!content || !content.IsScalar()) {
      std::cerr << compose << ": no configs.gongshi-config.content\n";
      return 1;
    }
    // Compose interpolates $VAR in the file; the config has none, so a '$' would be a mistake.
    const std::string text = content.as<std::string>();
    if (text.find('$') != std::string::npos) {
      std::cerr << compose
                << ": the gongshi config contains '$', which compose would interpolate\n";
      return 1;
    }
    std::ofstream(out, std::ios::binary) << text;
    return 0;
  } catch (const YAML::Exception& e) {
    std::cerr << compose << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace
}  // namespace gongshi

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "exposition" && argc == 2) return gongshi::Exposition();
  if (command == "dashboard" && argc == 3) return gongshi::Dashboard(argv[2]);
  if (command == "alerts" && argc == 3) return gongshi::Alerts(argv[2]);
  if (command == "yaml" && argc > 2) return gongshi::Yaml(argc - 2, argv + 2);
  if (command == "compose-config" && argc == 4) return gongshi::ComposeConfig(argv[2], argv[3]);
  std::cerr << "usage: deploy_check exposition | dashboard FILE | alerts FILE | yaml FILE... | "
               "compose-config COMPOSE OUT\n";
  return 2;
}
