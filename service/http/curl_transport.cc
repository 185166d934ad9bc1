// The event loop and the HttpTransport around it. One transfer's state and
// libcurl callbacks are in curl_transfer.h, the options a request sets on
// its easy handle in curl_handle_config.h, and the checks a request passes
// before it is queued in request_checks.h.

#include "service/http/curl_transport.h"

#include <curl/curl.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/common/mutex.h"
#include "service/http/curl_handle_config.h"
#include "service/http/curl_transfer.h"
#include "service/http/request_checks.h"

namespace mediagen::http {
namespace {

using internal::Transfer;

// Upper bound on one curl_multi_poll wait. libcurl shortens it to its own
// next timer, and a queued request wakes it at once, so this only matters
// for a loop with nothing to do.
constexpr int kMaxPollMs = 1000;
// Idle easy handles kept per loop for reuse.
constexpr size_t kMaxIdleHandles = 64;

void GlobalInitOnce() {
  // A function-local static is initialised once, thread-safely; libcurl
  // wants curl_global_init before any other call and only once.
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (result != CURLE_OK) {
    // Without it no transfer can work; failing loudly beats failing every
    // request with a confusing error.
    std::abort();
  }
}

// The types below are fields of CurlTransport::Loop, which is defined only
// in this file, so they can stay local to it.

// A call that can no longer do anything (it completed before Start
// returned).
class FinishedCall : public HttpCall {
 public:
  void Cancel() override {}
  void ResumeReceive() override {}
};

// What other threads ask of a loop.
struct Op {
  enum class Kind { kStart, kCancel, kResumeSend, kResumeReceive };
  Kind kind;
  uint64_t id = 0;
  std::unique_ptr<Transfer> transfer;  // kStart only
};

// The part of a loop that other threads (Start, HttpCall, body sources)
// touch. Shared, so an HttpCall or a resume callback that outlives the
// transport finds it closed instead of dangling.
struct Mailbox {
  Mutex mu;
  std::vector<Op> ops ABSL_GUARDED_BY(mu);
  // The transport is being destroyed: no new requests.
  bool stopping ABSL_GUARDED_BY(mu) = false;
  // The loop has exited; `multi` may be gone.
  bool closed ABSL_GUARDED_BY(mu) = false;
  CURLM* multi = nullptr;

  // Queues `op` and wakes the loop. Returns the op's transfer when the op
  // was refused (a start while stopping), so the caller can complete it.
  std::unique_ptr<Transfer> Post(Op op) {
    MutexLock lock(&mu);
    if (closed || (stopping && op.kind == Op::Kind::kStart)) {
      return std::move(op.transfer);
    }
    ops.push_back(std::move(op));
    // Under the lock: the loop sets `closed` under it before the multi
    // handle is cleaned up, so `multi` is valid here.
    curl_multi_wakeup(multi);
    return nullptr;
  }
};

class CallImpl : public HttpCall {
 public:
  CallImpl(std::shared_ptr<Mailbox> mailbox, uint64_t id)
      : mailbox_(std::move(mailbox)), id_(id) {}

  void Cancel() override {
    mailbox_->Post(Op{Op::Kind::kCancel, id_, nullptr});
  }
  void ResumeReceive() override {
    mailbox_->Post(Op{Op::Kind::kResumeReceive, id_, nullptr});
  }

 private:
  const std::shared_ptr<Mailbox> mailbox_;
  const uint64_t id_;
};

}  // namespace

// --- the event loop ---

class CurlTransport::Loop {
 public:
  Loop(const Options& options, int index)
      : options_(options), mailbox_(std::make_shared<Mailbox>()) {
    multi_ = curl_multi_init();
    if (multi_ == nullptr) std::abort();
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING,
                      options_.http2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING);
    if (options_.max_connections_per_host > 0) {
      curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                        options_.max_connections_per_host);
    }
    if (options_.max_total_connections > 0) {
      curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                        options_.max_total_connections);
      // Keep idle connections up to the same number for reuse.
      curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                        options_.max_total_connections);
    }
    mailbox_->multi = multi_;
    thread_ = std::thread([this] { Run(); });
    // Named from here, so the name is in place when the constructor
    // returns (tests count threads by it).
    std::string name = absl::StrCat(kThreadNamePrefix, index);
    pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
  }

  ~Loop() {
    RequestStop();
    Join();
    for (CURL* easy : idle_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
  }

  void RequestStop() {
    MutexLock lock(&mailbox_->mu);
    if (mailbox_->stopping) return;
    mailbox_->stopping = true;
    if (!mailbox_->closed) curl_multi_wakeup(multi_);
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  const std::shared_ptr<Mailbox>& mailbox() const { return mailbox_; }

 private:
  struct Completion {
    HttpTransport::Done done;
    absl::StatusOr<HttpResponse> result;
  };

  void Run() {
    for (;;) {
      bool stop = DrainOps();
      RunCompletions();
      if (stop) break;
      int running = 0;
      curl_multi_perform(multi_, &running);
      Reap();
      RunCompletions();
      if (curl_multi_poll(multi_, nullptr, 0, kMaxPollMs, nullptr) !=
          CURLM_OK) {
        // Not expected; without this a persistent poll failure would spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    // Stopping: everything in flight ends with CANCELLED. Their
    // completions may still post (a retry's Start is refused at once; a
    // Cancel is dropped), so close the mailbox only afterwards.
    while (!active_.empty()) {
      Abort(active_.begin()->second.get(),
            absl::CancelledError("HTTP transport is shutting down"));
    }
    RunCompletions();
    std::vector<Op> left;
    {
      MutexLock lock(&mailbox_->mu);
      mailbox_->closed = true;
      left.swap(mailbox_->ops);
    }
    for (Op& op : left) {
      if (op.transfer != nullptr) {
        std::move(op.transfer->done)(MarkNotSent(
            absl::CancelledError("HTTP transport is shutting down")));
      }
    }
  }

  // Returns true when the transport is stopping.
  bool DrainOps() {
    std::vector<Op> ops;
    bool stopping;
    {
      MutexLock lock(&mailbox_->mu);
      ops.swap(mailbox_->ops);
      stopping = mailbox_->stopping;
    }
    for (Op& op : ops) {
      switch (op.kind) {
        case Op::Kind::kStart:
          if (stopping) {
            completions_.push_back(Completion{
                std::move(op.transfer->done),
                MarkNotSent(
                    absl::CancelledError("HTTP transport is shutting down"))});
          } else {
            StartTransfer(std::move(op.transfer));
          }
          break;
        case Op::Kind::kCancel:
          if (Transfer* t = Find(op.id)) {
            Abort(t, absl::CancelledError(absl::StrCat(
                         "HTTP request cancelled: ", t->request.method, " ",
                         t->redacted_url)));
          }
          break;
        case Op::Kind::kResumeSend:
          if (Transfer* t = Find(op.id); t != nullptr && t->send_paused) {
            t->send_paused = false;
            curl_easy_pause(t->easy, t->PauseMask());
          }
          break;
        case Op::Kind::kResumeReceive:
          if (Transfer* t = Find(op.id)) {
            t->receive_pause_wanted = false;
            if (t->receive_paused) {
              t->receive_paused = false;
              // May hand the held piece to on_chunk before returning.
              curl_easy_pause(t->easy, t->PauseMask());
            }
          }
          break;
      }
    }
    return stopping;
  }

  Transfer* Find(uint64_t id) {
    auto it = active_.find(id);
    return it == active_.end() ? nullptr : it->second.get();
  }

  CURL* TakeEasy() {
    if (!idle_.empty()) {
      CURL* easy = idle_.back();
      idle_.pop_back();
      return easy;
    }
    return curl_easy_init();
  }

  void ReturnEasy(CURL* easy) {
    if (idle_.size() >= kMaxIdleHandles) {
      curl_easy_cleanup(easy);
      return;
    }
    // Forgets this request's options; live connections stay in the multi
    // handle's cache, so the next request reuses them.
    curl_easy_reset(easy);
    idle_.push_back(easy);
  }

  void StartTransfer(std::unique_ptr<Transfer> t) {
    const absl::Duration remaining = t->deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) {
      completions_.push_back(
          Completion{std::move(t->done),
                     MarkNotSent(absl::DeadlineExceededError(absl::StrCat(
                         "deadline passed before the request was sent: ",
                         t->request.method, " ", t->redacted_url)))});
      return;
    }
    CURL* easy = TakeEasy();
    if (easy == nullptr) {
      completions_.push_back(Completion{
          std::move(t->done),
          MarkNotSent(absl::ResourceExhaustedError("curl_easy_init failed"))});
      return;
    }
    t->easy = easy;
    if (absl::Status s = internal::ConfigureEasy(t.get(), options_, remaining);
        !s.ok()) {
      ReturnEasy(easy);
      t->easy = nullptr;
      completions_.push_back(Completion{std::move(t->done), MarkNotSent(s)});
      return;
    }
    if (t->request.body_source != nullptr) {
      std::weak_ptr<Mailbox> weak = mailbox_;
      uint64_t id = t->id;
      t->request.body_source->SetResumeCallback([weak, id] {
        if (std::shared_ptr<Mailbox> mailbox = weak.lock()) {
          mailbox->Post(Op{Op::Kind::kResumeSend, id, nullptr});
        }
      });
    }
    CURLMcode added = curl_multi_add_handle(multi_, easy);
    if (added != CURLM_OK) {
      ReturnEasy(easy);
      t->easy = nullptr;
      completions_.push_back(Completion{
          std::move(t->done),
          MarkNotSent(absl::InternalError(absl::StrCat(
              "curl_multi_add_handle: ", curl_multi_strerror(added))))});
      return;
    }
    uint64_t id = t->id;
    active_.emplace(id, std::move(t));
  }

  // Removes `t` from libcurl and from active_, recycles its handle, and
  // returns it for the completion.
  std::unique_ptr<Transfer> Detach(Transfer* t) {
    curl_multi_remove_handle(multi_, t->easy);
    ReturnEasy(t->easy);
    t->easy = nullptr;
    auto it = active_.find(t->id);
    std::unique_ptr<Transfer> owned = std::move(it->second);
    active_.erase(it);
    return owned;
  }

  void Abort(Transfer* t, absl::Status status) {
    std::unique_ptr<Transfer> owned = Detach(t);
    completions_.push_back(
        Completion{std::move(owned->done), std::move(status)});
  }

  void Reap() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;
      char* priv = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
      auto* t = reinterpret_cast<Transfer*>(priv);
      absl::StatusOr<HttpResponse> result =
          code == CURLE_OK ? internal::TransferResponse(t)
                           : internal::TransferFailure(*t, code);
      std::unique_ptr<Transfer> owned = Detach(t);
      completions_.push_back(
          Completion{std::move(owned->done), std::move(result)});
    }
  }

  // Runs queued completions with no lock held; they may post new ops.
  void RunCompletions() {
    while (!completions_.empty()) {
      std::vector<Completion> batch;
      batch.swap(completions_);
      for (Completion& c : batch) std::move(c.done)(std::move(c.result));
    }
  }

  const Options& options_;
  const std::shared_ptr<Mailbox> mailbox_;
  CURLM* multi_ = nullptr;
  // Loop thread only from here on.
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_;
  std::vector<Completion> completions_;
  std::thread thread_;
};

namespace {
std::atomic<uint64_t> next_transfer_id{1};
}  // namespace

CurlTransport::CurlTransport() : CurlTransport(Options()) {}

CurlTransport::CurlTransport(Options options) : options_(std::move(options)) {
  GlobalInitOnce();
  const int threads = std::max(1, options_.threads);
  loops_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    loops_.push_back(std::make_unique<Loop>(options_, i));
  }
}

CurlTransport::~CurlTransport() {
  // Stop all loops before joining any: a completion on one loop may start
  // a request that round-robins onto another, which must refuse it too.
  for (auto& loop : loops_) loop->RequestStop();
  for (auto& loop : loops_) loop->Join();
  loops_.clear();
}

std::shared_ptr<HttpCall> CurlTransport::Start(HttpRequest request, Done done) {
  if (absl::Status s = internal::ValidateRequest(request); !s.ok()) {
    std::move(done)(MarkNotSent(std::move(s)));
    return std::make_shared<FinishedCall>();
  }
  const absl::Time now = absl::Now();
  if (request.deadline <= now) {
    std::move(done)(MarkNotSent(absl::DeadlineExceededError(absl::StrCat(
        "deadline passed before the request was sent: ", request.method, " ",
        internal::RedactUrl(request.url)))));
    return std::make_shared<FinishedCall>();
  }
  auto t = std::make_unique<Transfer>();
  t->id = next_transfer_id.fetch_add(1, std::memory_order_relaxed);
  t->redacted_url = internal::RedactUrl(request.url);
  t->deadline = request.deadline == absl::InfiniteFuture()
                    ? now + options_.default_timeout
                    : request.deadline;
  t->request = std::move(request);
  t->done = std::move(done);
  const uint64_t id = t->id;

  Loop& loop = *loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) %
                       loops_.size()];
  std::unique_ptr<Transfer> refused =
      loop.mailbox()->Post(Op{Op::Kind::kStart, id, std::move(t)});
  if (refused != nullptr) {
    std::move(refused->done)(
        MarkNotSent(absl::CancelledError("HTTP transport is shutting down")));
    return std::make_shared<FinishedCall>();
  }
  return std::make_shared<CallImpl>(loop.mailbox(), id);
}

}  // namespace mediagen::http
