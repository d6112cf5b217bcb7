// Promise-returning matmul / attention. Arguments are validated on the JS thread, then the kernel runs on
// the addon's async driver thread (which drives the addon's pool, not libuv's), and the promise settles
// back on the JS thread through the environment's thread-safe function. A job holds references to every
// array it reads and pins an mmapped weight, so closing its file mid-call defers the munmap.
//
// Environment teardown (a worker thread terminated with a job running): the cleanup hook, which runs
// before the thread-safe function's own, waits until the driver is done with every job of that
// environment, so a kernel never writes into a destroyed heap and nobody touches a freed TSFN.
#include <napi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "bindings/args.h"
#include "bindings/parse.h"
#include "bindings/register.h"
#include "bindings/variants.h"
#include "mmap.h"
#include "ops/kernels.h"

namespace plexus::bind {

const OpTable& op_table(bool avx2);

namespace {

// Per environment (main thread or one worker thread).
struct EnvAsync {
  std::mutex mutex;
  std::condition_variable idle;
  int pending = 0;      // jobs the driver has not finished with (guarded by mutex)
  int js_inflight = 0;  // promises not yet settled (JS thread only): the TSFN keeps the loop alive meanwhile
  Napi::ThreadSafeFunction tsfn;
};

struct AsyncJob {
  EnvAsync* owner = nullptr;
  std::function<void()> work;
  Napi::Promise::Deferred deferred;
  std::vector<Napi::Reference<Napi::Value>> refs;
  MappingState* pin = nullptr;
  explicit AsyncJob(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void settle_on_js_thread(Napi::Env env, Napi::Function, AsyncJob* job) {
  EnvAsync* owner = job->owner;
  job->deferred.Resolve(env.Undefined());
  delete job;  // drops the references on the JS thread
  if (--owner->js_inflight == 0) owner->tsfn.Unref(env);
}

// One driver thread for the process: jobs run one after another, each using the whole pool.
class AsyncDriver {
 public:
  static AsyncDriver& instance() {
    static AsyncDriver* d = new AsyncDriver();  // leaked on purpose (no exit-time join)
    return *d;
  }
  void submit(AsyncJob* job) {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      queue_.push_back(job);
    }
    cv_.notify_one();
  }

 private:
  AsyncDriver() { std::thread([this] { loop(); }).detach(); }
  void loop() {
    for (;;) {
      AsyncJob* job;
      {
        std::unique_lock<std::mutex> lk(mutex_);
        cv_.wait(lk, [&] { return !queue_.empty(); });
        job = queue_.front();
        queue_.pop_front();
      }
      job->work();
      if (job->pin) { unpin_mapping(job->pin); job->pin = nullptr; }
      EnvAsync* owner = job->owner;
      // Not napi_ok only while the environment is being torn down: the job is abandoned with it.
      (void)owner->tsfn.BlockingCall(job, settle_on_js_thread);
      std::lock_guard<std::mutex> lk(owner->mutex);
      if (--owner->pending == 0) owner->idle.notify_all();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<AsyncJob*> queue_;
};

Napi::Value submit(const Napi::CallbackInfo& info, KeepList& keep, const void* pin_ptr, size_t pin_bytes, std::function<void()> work) {
  Napi::Env env = info.Env();
  EnvAsync* owner = env.GetInstanceData<EnvAsync>();
  auto* job = new AsyncJob(env);
  job->owner = owner;
  Napi::Promise promise = job->deferred.Promise();
  for (auto& v : keep) job->refs.push_back(Napi::Persistent(v));
  if (pin_ptr && pin_bytes) job->pin = pin_mapping_containing(pin_ptr, pin_bytes);
  job->work = std::move(work);
  if (owner->js_inflight++ == 0) owner->tsfn.Ref(env);
  {
    std::lock_guard<std::mutex> lk(owner->mutex);
    owner->pending++;
  }
  AsyncDriver::instance().submit(job);
  return promise;
}

template <bool Avx2>
Napi::Value MatmulAsync(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "matmulAsync_avx2" : "matmulAsync_portable");
  require_cpu<Avx2>(a);
  KeepList keep;
  MatmulParams p = parse_matmul(a, info, &keep);
  const size_t wbytes = size_t(p.N) * size_t(p.K) * size_t(weight_bytes(p.wt));
  return submit(info, keep, p.w, wbytes, [p] { op_table(Avx2).matmul(p); });
}

template <bool Avx2>
Napi::Value AttentionAsync(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "attentionAsync_avx2" : "attentionAsync_portable");
  require_cpu<Avx2>(a);
  KeepList keep;
  AttentionParams p = parse_attention(a, info, &keep);
  return submit(info, keep, nullptr, 0, [p] { op_table(Avx2).attention(p); });
}

}  // namespace

void register_async(Napi::Env env, Napi::Object exports) {
  auto* state = new EnvAsync();
  // One TSFN per environment, unreferenced while idle so it never keeps the process alive by itself.
  state->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                              "plexus.native.async", 0, 1);
  state->tsfn.Unref(env);
  // Registered after the TSFN, so it runs before the TSFN's own cleanup (hooks run in reverse order).
  env.AddCleanupHook([state] {
    std::unique_lock<std::mutex> lk(state->mutex);
    state->idle.wait(lk, [&] { return state->pending == 0; });
  });
  env.SetInstanceData(state);  // deleted by N-API after the cleanup hooks

  const VariantExports<true> add_avx2{env, exports};
  const VariantExports<false> add_portable{env, exports};
  add_avx2("matmulAsync", MatmulAsync<true>);
  add_portable("matmulAsync", MatmulAsync<false>);
  add_avx2("attentionAsync", AttentionAsync<true>);
  add_portable("attentionAsync", AttentionAsync<false>);
}

}  // namespace plexus::bind
