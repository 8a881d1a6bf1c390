// Which offsets a replay's range covers, from a partition's watermarks, the offsets asked for and
// the broker's answers to the times asked for (ResolveRange). The broker's part — the first
// offset at or after a time — is the broker's; librdkafka 2.0.2's mock cluster answers -1 to
// every time, so the answers are written here as a broker that indexes times would give them.
#include <gtest/gtest.h>

#include "pipeline/source/kafka_range_reader.h"

namespace gongshi {
namespace {

struct Case {
  const char* what;
  int64_t low, high;  // the partition holds [low, high)
  int64_t from_offset, to_offset;
  int64_t from_answer, to_answer;  // the broker's answers, kNoTimeAnswer: no time asked
  int64_t begin, end;              // the range expected
};

TEST(KafkaRangeTest, TheRangeIsTheIntersectionOfOffsetsTimesAndWhatThePartitionHolds) {
  constexpr int64_t kNone = kNoTimeAnswer;
  const Case cases[] = {
      {"nothing asked: the whole partition", 0, 100, -1, -1, kNone, kNone, 0, 100},
      {"nothing asked, the head removed by retention", 40, 100, -1, -1, kNone, kNone, 40, 100},
      {"offsets", 0, 100, 10, 20, kNone, kNone, 10, 20},
      {"offsets below the head and past the end", 40, 100, 5, 500, kNone, kNone, 40, 100},
      {"a start past the end: empty at the end", 0, 100, 150, -1, kNone, kNone, 100, 100},
      {"an end before the start: empty", 0, 100, 30, 20, kNone, kNone, 30, 30},
      {"times: from the first at or after the start to the first at or after the end", 0, 100, -1,
       -1, 37, 61, 37, 61},
      {"a start time nothing is at or after: empty at the end", 0, 100, -1, -1, -1, kNone, 100,
       100},
      {"an end time nothing is at or after: to the end", 0, 100, -1, -1, 37, -1, 37, 100},
      {"both times after every message: empty", 0, 100, -1, -1, -1, -1, 100, 100},
      {"only an end time", 0, 100, -1, -1, kNone, 12, 0, 12},
      {"only an end time, before every message: empty", 0, 100, -1, -1, kNone, 0, 0, 0},
      {"times and offsets: the later start and the earlier end", 0, 100, 50, 70, 37, 61, 50, 61},
      {"times and offsets, the offsets inside the times", 0, 100, 40, 55, 37, 61, 40, 55},
      {"a time answered below the head (removed since): from the head", 40, 100, -1, -1, 12, 61, 40,
       61},
      {"an empty partition", 7, 7, -1, -1, 3, -1, 7, 7},
  };
  for (const Case& c : cases) {
    KafkaRangeOptions options;
    options.from_offset = c.from_offset;
    options.to_offset = c.to_offset;
    const PartitionRange range =
        ResolveRange(3, c.low, c.high, options, c.from_answer, c.to_answer);
    EXPECT_EQ(range.partition, 3) << c.what;
    EXPECT_EQ(range.begin, c.begin) << c.what;
    EXPECT_EQ(range.end, c.end) << c.what;
    EXPECT_LE(range.begin, range.end) << c.what;
  }
}

}  // namespace
}  // namespace gongshi
