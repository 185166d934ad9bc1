#include "service/redis/client.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/common/mutex.h"
#include "service/redis/connection.h"

namespace mediagen::redis {
namespace {

using internal::Connection;
using internal::Detached;
using internal::QueuedCommand;
using internal::SteadyClock;
using internal::SteadyTime;

absl::Status Stopped() {
  return absl::UnavailableError("Redis client stopped");
}

// Commands that would change or break the shared, pipelined connection
// for every other caller, with what to use instead.
const char* DisallowedReason(const std::string& name) {
  if (name.size() > 12) return nullptr;
  const std::string upper = absl::AsciiStrToUpper(name);
  static const auto* const kPubSub = new absl::flat_hash_set<std::string>{
      "SUBSCRIBE",   "PSUBSCRIBE",   "SSUBSCRIBE",
      "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"};
  static const auto* const kTransactions = new absl::flat_hash_set<std::string>{
      "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"};
  static const auto* const kConnection = new absl::flat_hash_set<std::string>{
      "SELECT", "AUTH", "HELLO", "RESET", "QUIT", "MONITOR"};
  static const auto* const kBlocking = new absl::flat_hash_set<std::string>{
      "BLPOP",  "BRPOP",    "BRPOPLPUSH", "BLMOVE",
      "BLMPOP", "BZPOPMIN", "BZPOPMAX",   "BZMPOP"};
  if (kPubSub->contains(upper)) return "use Client::Subscribe";
  if (kTransactions->contains(upper)) return "use a Script for atomicity";
  if (kConnection->contains(upper)) return "the client manages the connection";
  if (kBlocking->contains(upper)) return "blocking commands stall the pipeline";
  return nullptr;
}

}  // namespace

struct Client::Observer : internal::Guarded<StateObserver> {
  using Guarded::Guarded;
};

Client::Client(Options options)
    : options_(std::move(options)),
      queue_(std::make_shared<internal::WorkQueue>()),
      status_(absl::UnavailableError("Redis client not started")) {
  Connection::Settings settings;
  settings.endpoint = options_.endpoint;
  settings.connect_timeout =
      absl::ToChronoNanoseconds(options_.connect_timeout);
  settings.command_timeout =
      absl::ToChronoNanoseconds(options_.command_timeout);
  settings.initial_backoff =
      absl::ToChronoNanoseconds(options_.initial_backoff);
  settings.max_backoff = absl::ToChronoNanoseconds(options_.max_backoff);

  settings.name = "command";
  settings.mode = Connection::Mode::kCommands;
  Connection::Hooks command_hooks;
  command_hooks.on_up = [this] { OnCommandUp(); };
  command_hooks.on_down = [this](const absl::Status& cause, bool was_up) {
    OnCommandDown(cause, was_up);
  };
  command_ = std::make_unique<Connection>(settings, std::move(command_hooks),
                                          &deferred_);

  settings.name = "subscriber";
  settings.mode = Connection::Mode::kSubscriber;
  Connection::Hooks subscriber_hooks;
  subscriber_hooks.on_up = [this] { subscriptions_->OnUp(); };
  subscriber_hooks.on_down = [this](const absl::Status&, bool) {
    subscriptions_->OnDown();
  };
  subscriber_hooks.on_push = [this](const Reply& push) {
    subscriptions_->OnPush(push);
  };
  subscriber_ = std::make_unique<Connection>(
      settings, std::move(subscriber_hooks), &deferred_);
  subscriptions_ = std::make_unique<internal::SubscriptionTable>(
      subscriber_.get(), &deferred_);
}

Client::~Client() { Stop(); }

absl::Status Client::Start() {
  MutexLock lifecycle(&lifecycle_mu_);
  if (started_) return absl::FailedPreconditionError("Redis client started");
  if (queue_->closed()) {
    return absl::FailedPreconditionError("Redis client stopped");
  }
  const RedisEndpoint& e = options_.endpoint;
  if (e.host.empty()) return absl::InvalidArgumentError("Redis host is empty");
  if (e.port < 1 || e.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("Redis port ", e.port, " is not in 1..65535"));
  }
  if (e.db < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Redis db ", e.db, " is negative"));
  }
  if (options_.connect_timeout <= absl::ZeroDuration() ||
      options_.command_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("Redis timeouts must be positive");
  }
  if (options_.initial_backoff <= absl::ZeroDuration() ||
      options_.max_backoff < options_.initial_backoff) {
    return absl::InvalidArgumentError(
        "Redis backoff must be positive, with max_backoff >= initial_backoff");
  }
  if (options_.max_pending == 0) {
    return absl::InvalidArgumentError("Redis max_pending must be positive");
  }
  if (!queue_->ok()) {
    return absl::InternalError(
        absl::StrCat("eventfd failed: ", std::strerror(errno)));
  }
  SetState(false, absl::UnavailableError(
                      absl::StrCat("connecting to Redis at ", e.ToString())));
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Client::Stop() {
  MutexLock lifecycle(&lifecycle_mu_);
  if (thread_.joinable() && std::this_thread::get_id() == thread_.get_id()) {
    std::fprintf(stderr,
                 "redis::Client::Stop called on its own loop thread "
                 "(from a callback); that would deadlock\n");
    std::abort();
  }
  if (thread_.joinable()) {
    queue_->RequestStop();
    thread_.join();  // Shutdown() closed the queue and failed what it held
  } else {
    // Never started: nobody else will answer what was queued.
    std::vector<QueuedCommand> commands;
    std::vector<internal::WorkQueue::Task> tasks;
    queue_->Close(&commands, &tasks);
    for (QueuedCommand& c : commands) {
      c.done(c.rejected.ok() ? Stopped() : std::move(c.rejected));
    }
  }
  SetState(false, Stopped());
}

void Client::Command(std::vector<std::string> argv, Callback done) {
  QueuedCommand command;
  if (argv.empty()) {
    command.rejected = absl::InvalidArgumentError("empty Redis command");
  } else if (const char* why = DisallowedReason(argv[0])) {
    command.rejected = absl::InvalidArgumentError(
        absl::StrCat("Redis command ", absl::AsciiStrToUpper(argv[0]),
                     " is not allowed through Client::Command: ", why));
  } else if (outstanding_.fetch_add(1, std::memory_order_relaxed) >=
             options_.max_pending) {
    outstanding_.fetch_sub(1, std::memory_order_relaxed);
    command.rejected = absl::UnavailableError(
        absl::StrCat("Redis client: ", options_.max_pending,
                     " commands already wait for a reply (max_pending); not "
                     "sent"));
  }
  if (!command.rejected.ok()) {
    command.done = std::move(done);
  } else {
    command.argv = std::move(argv);
    command.done = [this,
                    done = std::move(done)](absl::StatusOr<Reply> r) mutable {
      outstanding_.fetch_sub(1, std::memory_order_relaxed);
      done(std::move(r));
    };
  }
  Post(std::move(command));
}

void Client::Post(QueuedCommand command) {
  if (queue_->Push(command)) return;
  command.done(command.rejected.ok() ? Stopped() : std::move(command.rejected));
}
void Client::Eval(const Script& script, std::vector<std::string> keys,
                  std::vector<std::string> args, Callback done) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(absl::StrCat(keys.size()));
  for (std::string& k : keys) argv.push_back(std::move(k));
  for (std::string& a : args) argv.push_back(std::move(a));
  std::vector<std::string> sent = argv;
  Command(
      std::move(sent),
      [this, argv = std::move(argv), source = script.shared_source(),
       done = std::move(done)](absl::StatusOr<Reply> r) mutable {
        if (r.ok() && r->is_error() && absl::StartsWith(r->str(), "NOSCRIPT")) {
          // Redis lost its script cache (restart, SCRIPT FLUSH, another
          // server): EVAL runs the source and caches it for the next EVALSHA.
          argv[0] = "EVAL";
          argv[1] = *source;
          Command(std::move(argv), std::move(done));
          return;
        }
        done(std::move(r));
      });
}

void Client::Publish(std::string channel, std::string payload, Callback done) {
  Command({"PUBLISH", std::move(channel), std::move(payload)}, std::move(done));
}

std::unique_ptr<Subscription> Client::Subscribe(std::string channel,
                                                SubscribeCallbacks callbacks) {
  auto entry = std::make_shared<internal::SubscriberEntry>(
      std::move(channel), std::move(callbacks), queue_.get());
  internal::SubscriptionTable* table = subscriptions_.get();
  // Not queued once stopped: the handle is inert.
  queue_->Push([table, entry] { table->Add(entry); });
  return std::make_unique<Subscription>(queue_, entry, table);
}

absl::Status Client::status() const {
  MutexLock lock(&status_mu_);
  return up() ? absl::OkStatus() : Detached(status_);
}

bool Client::WaitUntilUp(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&status_mu_);
  while (!up()) {
    if (!status_cv_.WaitUntil(&status_mu_, deadline)) return up();
  }
  return true;
}

Client::ObserverId Client::AddStateObserver(StateObserver observer) {
  MutexLock lock(&observers_mu_);
  const ObserverId id = next_observer_++;
  observers_[id] =
      std::make_shared<Observer>(std::move(observer), queue_.get());
  return id;
}

void Client::RemoveStateObserver(ObserverId id) {
  std::shared_ptr<Observer> observer;
  {
    MutexLock lock(&observers_mu_);
    auto it = observers_.find(id);
    if (it == observers_.end()) return;
    observer = std::move(it->second);
    observers_.erase(it);
  }
  observer->Cancel();
}

// --- The loop thread.

void Client::Loop() {
  // Named from inside, so it has its name before any callback runs.
  pthread_setname_np(pthread_self(), kThreadName);
  // hiredis writes with write(2): a peer that hung up must give EPIPE on
  // this thread, not a SIGPIPE that ends the process.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  queue_->set_loop_thread(std::this_thread::get_id());

  std::vector<pollfd> fds;
  bool stop = false;
  // No user callback runs between sending a command (its reply deadline
  // starts) and the poll() that writes it, nor between reading replies and
  // checking deadlines: slow callbacks delay everything, but never make a
  // healthy connection look stuck.
  while (true) {
    RunDeferred();
    TakeWork(&stop);
    if (stop) break;

    const SteadyTime next =
        std::min(command_->NextTimer(), subscriber_->NextTimer());
    const SteadyTime now = SteadyClock::now();
    int timeout_ms = 60 * 1000;
    if (next <= now || !deferred_.empty()) {
      timeout_ms = 0;
    } else if (next - now < std::chrono::milliseconds(timeout_ms)) {
      // Round up: waking a hair early would only spin.
      timeout_ms = static_cast<int>(
          std::chrono::ceil<std::chrono::milliseconds>(next - now).count());
    }
    fds.clear();
    fds.push_back({queue_->wake_fd(), POLLIN, 0});
    const int command_fd = command_->fd();
    const int subscriber_fd = subscriber_->fd();
    if (command_fd >= 0) fds.push_back({command_fd, command_->events(), 0});
    if (subscriber_fd >= 0) {
      fds.push_back({subscriber_fd, subscriber_->events(), 0});
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0) continue;  // EINTR
    if (fds[0].revents & POLLIN) queue_->ConsumeWakeup();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      // A connection dropped earlier in this round has no fd (or a new
      // one): its old events no longer apply.
      Connection* conn =
          fds[i].fd == command_fd ? command_.get() : subscriber_.get();
      if (conn->fd() == fds[i].fd) {
        conn->OnEvents(fds[i].revents, SteadyClock::now());
      }
    }
    command_->OnTimers(SteadyClock::now());
    subscriber_->OnTimers(SteadyClock::now());
  }
  Shutdown();
  queue_->set_loop_thread(std::thread::id());
}

void Client::TakeWork(bool* stop) {
  std::vector<QueuedCommand> commands;
  std::vector<internal::WorkQueue::Task> tasks;
  *stop = queue_->Take(&commands, &tasks);
  for (auto& task : tasks) task();
  if (commands.empty()) return;
  absl::Status down;
  if (!command_->up()) {
    MutexLock lock(&status_mu_);
    down = absl::UnavailableError(
        absl::StrCat("Redis is not connected (", status_.message(), ")"));
  }
  for (QueuedCommand& c : commands) {
    if (c.rejected.ok() && down.ok()) {
      // Into hiredis's output buffer; written with the others at POLLOUT.
      command_->Send(c.argv, std::move(c.done));
      continue;
    }
    deferred_.push_back(
        [done = std::move(c.done), s = c.rejected.ok()
                                           ? Detached(down)
                                           : std::move(c.rejected)]() mutable {
          done(std::move(s));
        });
  }
}

void Client::RunDeferred() {
  while (!deferred_.empty()) {
    std::vector<absl::AnyInvocable<void()>> batch;
    batch.swap(deferred_);
    for (auto& f : batch) f();
  }
}

void Client::Shutdown() {
  stopping_ = true;
  command_->Close(Stopped());
  subscriber_->Close(Stopped());
  std::vector<QueuedCommand> commands;
  std::vector<internal::WorkQueue::Task> tasks;
  queue_->Close(&commands, &tasks);
  for (QueuedCommand& c : commands) {
    deferred_.push_back(
        [done = std::move(c.done),
         s = c.rejected.ok() ? Stopped() : std::move(c.rejected)]() mutable {
          done(std::move(s));
        });
  }
  tasks.clear();  // never run: they were for a loop that is ending
  subscriptions_->Clear();
  RunDeferred();
}

void Client::SetState(bool up, const absl::Status& cause) {
  {
    MutexLock lock(&status_mu_);
    status_ = Detached(cause);
    up_.store(up, std::memory_order_release);
  }
  status_cv_.SignalAll();
}

void Client::NotifyObservers(bool up, const absl::Status& cause) {
  std::vector<std::shared_ptr<Observer>> observers;
  {
    MutexLock lock(&observers_mu_);
    for (const auto& [id, o] : observers_) observers.push_back(o);
  }
  for (auto& o : observers) {
    deferred_.push_back([o, up, cause = Detached(cause)] {
      o->Run([&](StateObserver& f) { f(up, cause); });
    });
  }
}

void Client::OnCommandUp() {
  SetState(true, absl::OkStatus());
  NotifyObservers(true, absl::OkStatus());
}

void Client::OnCommandDown(const absl::Status& cause, bool was_up) {
  SetState(false, cause);
  if (!was_up) return;  // a failed attempt: still down, no change
  NotifyObservers(false, cause);
  // Both connections go to the same server: when one was lost (or timed
  // out) the other is suspect too, and an idle subscriber connection has
  // nothing that would notice. Reconnecting it makes subscribers re-read.
  if (!stopping_ && subscriber_->up()) {
    subscriber_->Drop(
        absl::UnavailableError(absl::StrCat(
            "Redis subscriber connection reset: the command connection "
            "was lost (",
            cause.message(), ")")),
        SteadyClock::now());
  }
}

}  // namespace mediagen::redis
