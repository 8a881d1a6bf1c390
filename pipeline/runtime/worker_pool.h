// WorkerPool: the runtime's cores. A batch's data-parallel stages (parse, validate, redact) are
// cut into chunks that the pool's workers and the calling thread take in turn; the stages that
// must keep an order (dedupe, the chain of feed files, the commit) stay on the caller.
//
// Several threads may run ParallelFor at once (the file pass prepares batch k+1 on its reader
// thread while batch k is redacted): each call is a job, workers take chunks of any job in the
// order the jobs came, and the caller works on its own job's chunks until none is left, so a job
// finishes even when every worker is busy elsewhere.
//
// Our own, not a library's: the dependencies are Debian's packages named in the README, and none
// of them (nor the standard library: no executors in C++20) has a pool; this one needs only a
// parallel for over a fixed number of chunks, with a slot number per chunk so each stage keeps one
// scratch object (a parser, a redactor) per slot and no lock on the per-record path.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gongshi {

class WorkerPool {
 public:
  // `threads` cores in all: the caller and threads - 1 workers (0 = the machine's cores).
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // The number of cores the pool uses, the caller's included: slots are 0 .. threads() - 1.
  size_t threads() const { return workers_.size() + 1; }
  // The cores a pool made with `threads` uses (0 = the machine's), for what must be sized to it
  // before it exists (scratch objects per slot).
  static size_t ThreadsFor(size_t threads);

  // Runs fn(chunk, slot) for every chunk in [0, chunks) and returns when all have run. `slot`
  // is 0 on the calling thread and 1 + the worker's index on a worker: two chunks of the same
  // job never run at once with the same slot. Chunks of one job run in no fixed order.
  void ParallelFor(size_t chunks, const std::function<void(size_t chunk, size_t slot)>& fn);

  // How many chunks to cut `items` into: a few per core so that a slow chunk does not leave the
  // others idle, none smaller than `min_items`, one when there is no second core.
  size_t ChunksFor(size_t items, size_t min_items = 256) const;

 private:
  struct Job {
    const std::function<void(size_t, size_t)>* fn = nullptr;
    size_t chunks = 0;
    std::atomic<size_t> next{0};  // the next chunk to hand out
    size_t done = 0;              // chunks finished, under mutex_
    size_t workers = 0;           // workers taking its chunks, under mutex_: the job outlives them
  };
  // Takes and runs one chunk of `job`; false when none is left to take.
  bool RunOne(Job& job, size_t slot);
  void Work(size_t slot);

  std::mutex mutex_;
  std::condition_variable work_;      // a job was queued, or stopping
  std::condition_variable finished_;  // a chunk finished
  std::deque<Job*> jobs_;             // jobs with chunks not yet handed out
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace gongshi
