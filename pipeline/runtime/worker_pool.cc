#include "pipeline/runtime/worker_pool.h"

#include <algorithm>

namespace gongshi {

size_t WorkerPool::ThreadsFor(size_t threads) {
  return threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
}

WorkerPool::WorkerPool(size_t threads) {
  threads = ThreadsFor(threads);
  workers_.reserve(threads - 1);
  for (size_t slot = 1; slot < threads; ++slot) {
    workers_.emplace_back([this, slot] { Work(slot); });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

size_t WorkerPool::ChunksFor(size_t items, size_t min_items) const {
  if (workers_.empty() || items <= min_items) return items == 0 ? 0 : 1;
  return std::clamp<size_t>(items / std::max<size_t>(min_items, 1), 1, threads() * 4);
}

bool WorkerPool::RunOne(Job& job, size_t slot) {
  const size_t chunk = job.next.fetch_add(1, std::memory_order_relaxed);
  if (chunk >= job.chunks) return false;
  (*job.fn)(chunk, slot);
  {
    std::lock_guard lock(mutex_);
    ++job.done;
  }
  finished_.notify_all();
  return true;
}

void WorkerPool::ParallelFor(size_t chunks,
                             const std::function<void(size_t chunk, size_t slot)>& fn) {
  if (chunks == 0) return;
  if (chunks == 1 || workers_.empty()) {
    for (size_t chunk = 0; chunk < chunks; ++chunk) fn(chunk, 0);
    return;
  }
  Job job;
  job.fn = &fn;
  job.chunks = chunks;
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(&job);
  }
  work_.notify_all();
  while (RunOne(job, 0)) {
  }
  std::unique_lock lock(mutex_);
  // Every chunk is handed out; the job leaves the queue (a worker may have removed it already)
  // and the caller waits for the chunks still running on workers.
  jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), &job), jobs_.end());
  finished_.wait(lock, [&] { return job.done == job.chunks && job.workers == 0; });
}

void WorkerPool::Work(size_t slot) {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job* job = jobs_.front();
    if (job->next.load(std::memory_order_relaxed) >= job->chunks) {
      // Handed out to the end: no worker needs to see it again.
      jobs_.pop_front();
      continue;
    }
    ++job->workers;
    lock.unlock();
    while (RunOne(*job, slot)) {
    }
    lock.lock();
    --job->workers;
    finished_.notify_all();
  }
}

}  // namespace gongshi
