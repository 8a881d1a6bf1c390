// The worker pool: every chunk runs exactly once, slots are never shared by two chunks of a job
// running at once, several threads may run jobs at the same time, and a job finishes while every
// worker is busy with another. Built under ThreadSanitizer too (setup.sh test), which sees the
// pool's own synchronisation: nothing here runs librdkafka or RocksDB.
#include "pipeline/runtime/worker_pool.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace gongshi {
namespace {

TEST(WorkerPoolTest, EveryChunkRunsOnceAndEverySlotIsInRange) {
  for (size_t threads : {1, 2, 3, 8}) {
    WorkerPool pool(threads);
    ASSERT_EQ(pool.threads(), threads);
    for (size_t chunks : {0, 1, 2, 7, 64, 1000}) {
      std::vector<std::atomic<int>> runs(chunks);
      std::atomic<size_t> bad_slot{0};
      pool.ParallelFor(chunks, [&](size_t chunk, size_t slot) {
        runs[chunk].fetch_add(1);
        if (slot >= pool.threads()) bad_slot.fetch_add(1);
      });
      for (size_t c = 0; c < chunks; ++c) {
        EXPECT_EQ(runs[c].load(), 1) << threads << " threads, chunk " << c << " of " << chunks;
      }
      EXPECT_EQ(bad_slot.load(), 0u);
    }
  }
}

TEST(WorkerPoolTest, ASlotRunsOneChunkOfAJobAtATime) {
  WorkerPool pool(4);
  // Per-slot scratch written without a lock, as the stages' parsers and redactors are: two
  // chunks with the same slot at once would be seen (and ThreadSanitizer would report it).
  std::vector<int> in_use(pool.threads(), 0);
  std::vector<uint64_t> sums(pool.threads(), 0);
  std::atomic<int> overlaps{0};
  for (int round = 0; round < 50; ++round) {
    pool.ParallelFor(64, [&](size_t chunk, size_t slot) {
      if (in_use[slot]++ != 0) overlaps.fetch_add(1);
      for (int i = 0; i < 2000; ++i) sums[slot] += chunk * i;
      --in_use[slot];
    });
  }
  EXPECT_EQ(overlaps.load(), 0);
  uint64_t total = 0;
  for (uint64_t s : sums) total += s;
  // Each round adds sum(chunk) * sum(i) over 64 chunks and 2000 i.
  EXPECT_EQ(total, 50ull * (63 * 64 / 2) * (1999ull * 2000 / 2));
}

TEST(WorkerPoolTest, TwoThreadsRunJobsAtOnceAndEachSeesOnlyItsOwnChunks) {
  WorkerPool pool(3);
  std::atomic<uint64_t> a{0}, b{0};
  auto run = [&](std::atomic<uint64_t>& into, uint64_t weight) {
    for (int round = 0; round < 200; ++round) {
      pool.ParallelFor(16, [&](size_t chunk, size_t) { into.fetch_add(weight * (chunk + 1)); });
    }
  };
  std::thread other([&] { run(b, 1000); });
  run(a, 1);
  other.join();
  EXPECT_EQ(a.load(), 200u * (16 * 17 / 2));
  EXPECT_EQ(b.load(), 200u * 1000 * (16 * 17 / 2));
}

TEST(WorkerPoolTest, AJobFinishesWhileEveryWorkerIsHeldByAnother) {
  WorkerPool pool(2);  // the caller and one worker
  std::mutex mutex;
  std::condition_variable changed;
  bool worker_held = false, release = false;
  // A job of two chunks: the holder thread's own waits until the worker has taken the other,
  // which holds the worker until released.
  std::thread holder([&] {
    pool.ParallelFor(2, [&](size_t, size_t slot) {
      std::unique_lock lock(mutex);
      if (slot == 0) {
        changed.wait(lock, [&] { return worker_held; });
        return;
      }
      worker_held = true;
      changed.notify_all();
      changed.wait(lock, [&] { return release; });
    });
  });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return worker_held; });
  }
  // The only worker is held: this job is run by its caller alone, and ends.
  std::vector<int> runs(10, 0);
  pool.ParallelFor(10, [&](size_t chunk, size_t slot) {
    EXPECT_EQ(slot, 0u);
    ++runs[chunk];
  });
  for (int r : runs) EXPECT_EQ(r, 1);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  holder.join();
}

TEST(WorkerPoolTest, ChunksAreAFewPerCoreAndNoneWithoutASecondCore) {
  WorkerPool one(1), two(2);
  EXPECT_EQ(one.ChunksFor(0), 0u);
  EXPECT_EQ(one.ChunksFor(100000), 1u);
  EXPECT_EQ(two.ChunksFor(0), 0u);
  EXPECT_EQ(two.ChunksFor(100), 1u);     // below the smallest part
  EXPECT_EQ(two.ChunksFor(1000), 3u);    // parts of at least 256
  EXPECT_EQ(two.ChunksFor(100000), 8u);  // at most four per core
}

}  // namespace
}  // namespace gongshi
