// The addon's own persistent worker pool (not libuv's). One parallel region runs at a time; the calling
// thread takes part, so a pool of n threads has n - 1 workers. Workers spin briefly after a region so
// back-to-back kernels (one decode step = hundreds of ops) do not pay a wake-up each time.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace plexus {

class ThreadPool {
 public:
  static ThreadPool& instance();

  int size();
  void resize(int n);

  // Calls fn(task, ctx) for every task in [0, ntasks), spread over the pool; returns when all are done.
  using TaskFn = void (*)(int64_t task, void* ctx);
  void run(int64_t ntasks, TaskFn fn, void* ctx);

 private:
  ThreadPool();
  void start_workers(int n);
  void stop_workers();
  void worker_loop(uint64_t seen);
  void drain();
  void run_round(int64_t begin, int64_t count);

  std::mutex region_mutex_;  // serialises parallel regions (JS thread, worker_threads, async driver)
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::vector<std::thread> workers_;
  int nthreads_ = 1;

  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  // Task claims are tagged with the region: [tag:20][next index:22][task count:22]. A worker that wakes
  // late can never claim a task of a later region with a stale view.
  std::atomic<uint64_t> claim_word_{0};
  std::atomic<int64_t> done_tasks_{0};
  uint64_t region_tag_ = 0;
  int64_t task_base_ = 0;
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
};

// Splits [0, n) into chunks of about `grain` items (at least one chunk per thread when n allows) and
// calls f(begin, end) for each, in parallel.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  ThreadPool& pool = ThreadPool::instance();
  const int64_t threads = pool.size();
  if (threads <= 1 || n <= grain) { f(int64_t(0), n); return; }
  int64_t chunk = grain;
  // ~8 chunks per thread so a descheduled thread does not leave a long tail, never smaller than grain
  const int64_t target = (n + threads * 8 - 1) / (threads * 8);
  if (target > chunk) chunk = target;
  const int64_t nchunks = (n + chunk - 1) / chunk;
  struct Ctx { F* f; int64_t n, chunk; } ctx{&f, n, chunk};
  pool.run(nchunks, [](int64_t t, void* p) {
    auto* c = static_cast<Ctx*>(p);
    const int64_t b = t * c->chunk;
    const int64_t e = b + c->chunk < c->n ? b + c->chunk : c->n;
    (*c->f)(b, e);
  }, &ctx);
}

// Calls f(task) for each task in [0, ntasks) in parallel (one task per call).
template <class F>
void parallel_tasks(int64_t ntasks, F&& f) {
  if (ntasks <= 0) return;
  ThreadPool& pool = ThreadPool::instance();
  if (pool.size() <= 1 || ntasks == 1) { for (int64_t t = 0; t < ntasks; t++) f(t); return; }
  pool.run(ntasks, [](int64_t t, void* p) { (*static_cast<F*>(p))(t); }, &f);
}

int available_cores();

}  // namespace plexus
