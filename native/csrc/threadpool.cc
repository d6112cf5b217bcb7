#include "threadpool.h"

#include <sched.h>

#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax() { asm volatile("yield"); }
#else
static inline void cpu_relax() {}
#endif

namespace plexus {

namespace {
// True on pool workers and on a thread currently driving a region: a nested region runs inline.
thread_local bool t_in_region = false;
constexpr int kSpinIterations = 20000;  // ~50-100 us of pause before sleeping
}  // namespace

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? int(n) : 1;
}

ThreadPool& ThreadPool::instance() {
  // Leaked on purpose: no static-destruction ordering problems at process exit.
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

ThreadPool::ThreadPool() { start_workers(available_cores()); }

int ThreadPool::size() { return nthreads_; }

void ThreadPool::resize(int n) {
  if (n < 1) n = 1;
  std::lock_guard<std::mutex> region(region_mutex_);
  if (n == nthreads_) return;
  stop_workers();
  start_workers(n);
}

void ThreadPool::start_workers(int n) {
  stopping_.store(false);
  nthreads_ = n;
  const uint64_t gen = generation_.load();
  for (int i = 0; i < n - 1; i++) workers_.emplace_back([this, gen] { worker_loop(gen); });
}

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lk(wake_mutex_);
    stopping_.store(true);
  }
  wake_cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

namespace {
constexpr int kIndexBits = 22;
constexpr uint64_t kIndexMask = (uint64_t(1) << kIndexBits) - 1;
constexpr int64_t kMaxRoundTasks = int64_t(kIndexMask);
constexpr uint64_t kTagMask = (uint64_t(1) << 20) - 1;
}  // namespace

void ThreadPool::drain() {
  uint64_t v = claim_word_.load(std::memory_order_acquire);
  for (;;) {
    const uint64_t idx = (v >> kIndexBits) & kIndexMask;
    const uint64_t lim = v & kIndexMask;
    if (idx >= lim) return;
    if (!claim_word_.compare_exchange_weak(v, v + (uint64_t(1) << kIndexBits), std::memory_order_acq_rel,
                                           std::memory_order_acquire)) continue;
    fn_(task_base_ + int64_t(idx), ctx_);
    done_tasks_.fetch_add(1, std::memory_order_release);
    v = claim_word_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_loop(uint64_t seen) {
  t_in_region = true;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations && !stopping_.load(std::memory_order_relaxed); spin++) {
      cpu_relax();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lk(wake_mutex_);
      wake_cv_.wait(lk, [&] { return stopping_.load() || generation_.load(std::memory_order_acquire) != seen; });
      gen = generation_.load(std::memory_order_acquire);
    }
    if (stopping_.load()) return;
    seen = gen;
    drain();
  }
}

void ThreadPool::run_round(int64_t begin, int64_t count) {
  task_base_ = begin;
  done_tasks_.store(0, std::memory_order_relaxed);
  region_tag_ = (region_tag_ + 1) & kTagMask;
  claim_word_.store((region_tag_ << (2 * kIndexBits)) | uint64_t(count), std::memory_order_release);
  {
    std::lock_guard<std::mutex> lk(wake_mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_cv_.notify_all();
  drain();
  // Spin, then yield: on an oversubscribed machine the thread holding the last task needs this core.
  for (int spin = 0; done_tasks_.load(std::memory_order_acquire) < count; spin++) {
    if (spin < 4000) cpu_relax(); else std::this_thread::yield();
  }
}

void ThreadPool::run(int64_t ntasks, TaskFn fn, void* ctx) {
  if (ntasks <= 0) return;
  if (t_in_region) {  // nested region: run inline
    for (int64_t t = 0; t < ntasks; t++) fn(t, ctx);
    return;
  }
  std::lock_guard<std::mutex> region(region_mutex_);
  t_in_region = true;
  if (nthreads_ <= 1) {
    for (int64_t t = 0; t < ntasks; t++) fn(t, ctx);
  } else {
    fn_ = fn;
    ctx_ = ctx;
    for (int64_t b = 0; b < ntasks; b += kMaxRoundTasks) run_round(b, ntasks - b < kMaxRoundTasks ? ntasks - b : kMaxRoundTasks);
  }
  t_in_region = false;
}

}  // namespace plexus
