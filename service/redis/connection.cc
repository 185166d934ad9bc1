#include "service/redis/connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace mediagen::redis::internal {
namespace {

Reply FromHiredis(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        elements.push_back(FromHiredis(r->element[i]));
      }
      return Reply::Array(std::move(elements));
    }
    default:  // REDIS_REPLY_NIL
      return Reply::Nil();
  }
}

}  // namespace

absl::Status Detached(const absl::Status& s) {
  return s.ok() ? absl::OkStatus() : absl::Status(s.code(), s.message());
}

Connection::Connection(Settings settings, Hooks hooks, Deferred* deferred)
    : settings_(std::move(settings)),
      hooks_(std::move(hooks)),
      deferred_(deferred),
      backoff_(settings_.initial_backoff) {}

Connection::~Connection() { Close(absl::CancelledError("connection deleted")); }

// --- hiredis adapter: hiredis says what it wants to wait for; poll() waits.

void Connection::AddReadCb(void* p) {
  static_cast<Connection*>(p)->want_read_ = true;
}
void Connection::DelReadCb(void* p) {
  static_cast<Connection*>(p)->want_read_ = false;
}
void Connection::AddWriteCb(void* p) {
  static_cast<Connection*>(p)->want_write_ = true;
}
void Connection::DelWriteCb(void* p) {
  static_cast<Connection*>(p)->want_write_ = false;
}
// hiredis is freeing the context (error, EOF, or our redisAsyncFree): the
// last moment its error text can be read.
void Connection::CleanupCb(void* p) {
  static_cast<Connection*>(p)->OnContextGone();
}

int Connection::fd() const {
  return ac_ != nullptr && (want_read_ || want_write_) ? ac_->c.fd : -1;
}

short Connection::events() const {
  return static_cast<short>((want_read_ ? POLLIN : 0) |
                            (want_write_ ? POLLOUT : 0));
}

void Connection::OnEvents(short revents, SteadyTime now) {
  if (ac_ == nullptr) return;
  if (revents & (POLLIN | POLLERR | POLLHUP)) {
    redisAsyncHandleRead(ac_);
    Settle(now);
  }
  if (ac_ != nullptr && (revents & (POLLOUT | POLLERR | POLLHUP))) {
    redisAsyncHandleWrite(ac_);
    Settle(now);
  }
}

void Connection::OnTimers(SteadyTime now) {
  switch (state_) {
    case State::kIdle:
      if (now >= retry_at_) Connect(now);
      break;
    case State::kConnecting:
    case State::kHandshake:
      if (now >= connect_deadline_) {
        Drop(Unavailable(absl::StrCat("connecting timed out after ",
                                      Millis(settings_.connect_timeout).count(),
                                      " ms")),
             now);
      }
      break;
    case State::kUp:
      if (!pending_.empty() && pending_.front().deadline <= now) {
        Drop(Unavailable(absl::StrCat("no reply within ",
                                      Millis(settings_.command_timeout).count(),
                                      " ms; dropped the connection")),
             now);
      }
      break;
    case State::kClosed:
      break;
  }
}

SteadyTime Connection::NextTimer() const {
  switch (state_) {
    case State::kIdle:
      return retry_at_;
    case State::kConnecting:
    case State::kHandshake:
      return connect_deadline_;
    case State::kUp:
      return pending_.empty() ? SteadyTime::max() : pending_.front().deadline;
    case State::kClosed:
      break;
  }
  return SteadyTime::max();
}

void Connection::Connect(SteadyTime now) {
  state_ = State::kConnecting;
  connect_deadline_ = now + settings_.connect_timeout;
  // Name resolution happens here, on the loop thread (hiredis 0.14 calls
  // getaddrinfo); an IP address or a cluster-local name resolves at once.
  redisAsyncContext* ac = redisAsyncConnect(settings_.endpoint.host.c_str(),
                                            settings_.endpoint.port);
  if (ac == nullptr) {
    SetCause(Unavailable("cannot connect: out of memory"));
    Settle(now);
    return;
  }
  if (ac->err) {
    SetCause(Unavailable(absl::StrCat("cannot connect: ", ac->errstr)));
    redisAsyncFree(ac);  // no hooks installed yet: nothing calls back
    Settle(now);
    return;
  }
  ac_ = ac;
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &AddReadCb;
  ac->ev.delRead = &DelReadCb;
  ac->ev.addWrite = &AddWriteCb;
  ac->ev.delWrite = &DelWriteCb;
  ac->ev.cleanup = &CleanupCb;
  // Keep-alive probes find a peer that vanished (a partition, a node gone)
  // on an idle subscriber connection, which has nothing else to time out.
  redisEnableKeepAlive(&ac->c);
  // Asks for the first write event: that is when connect(2) has finished.
  redisAsyncSetConnectCallback(ac, &OnConnectCb);
}

void Connection::OnConnectCb(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Connection*>(ac->data);
  if (status != REDIS_OK) {
    // hiredis frees the context right after this returns.
    self->SetCause(
        self->Unavailable(absl::StrCat("cannot connect: ", ac->errstr)));
    return;
  }
  self->StartHandshake();
}

void Connection::StartHandshake() {
  state_ = State::kHandshake;
  const RedisEndpoint& e = settings_.endpoint;
  if (!e.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!e.username.empty()) auth.push_back(e.username);
    auth.push_back(e.password);
    Pending p{nullptr, connect_deadline_, "AUTH"};
    SendRaw(auth, p);
  }
  if (settings_.mode == Mode::kCommands && e.db != 0) {
    Pending p{nullptr, connect_deadline_, "SELECT"};
    SendRaw({"SELECT", absl::StrCat(e.db)}, p);
  }
  // A server that accepts connections but does not answer (stopped,
  // loading, overloaded) is not up: only a PONG says it is.
  Pending p{nullptr, connect_deadline_, "PING"};
  SendRaw({"PING"}, p);
}

bool Connection::SendRaw(const std::vector<std::string>& argv,
                         Pending& pending) {
  argv_ptrs_.clear();
  argv_lens_.clear();
  for (const std::string& a : argv) {
    argv_ptrs_.push_back(a.data());
    argv_lens_.push_back(a.size());
  }
  redisCallbackFn* fn = settings_.mode == Mode::kCommands
                            ? &OnCommandReplyCb
                            : &OnSubscriberReplyCb;
  // hiredis formats the command into its output buffer; the loop writes
  // that buffer once per wakeup, so commands sent together are pipelined.
  if (redisAsyncCommandArgv(ac_, fn, this, static_cast<int>(argv.size()),
                            argv_ptrs_.data(), argv_lens_.data()) != REDIS_OK) {
    return false;
  }
  pending_.push_back(std::move(pending));
  return true;
}

void Connection::Send(const std::vector<std::string>& argv, Callback done) {
  Pending pending{std::move(done),
                  SteadyClock::now() + settings_.command_timeout, nullptr};
  if (ac_ == nullptr || state_ != State::kUp || !SendRaw(argv, pending)) {
    deferred_->push_back(
        [done = std::move(pending.done),
         s = Unavailable("not connected")]() mutable { done(std::move(s)); });
  }
}

bool Connection::SendPubSub(absl::string_view verb, const std::string& channel,
                            SteadyTime now) {
  if (ac_ == nullptr || state_ != State::kUp) return false;
  Pending p{nullptr, now + settings_.command_timeout, nullptr};
  return SendRaw({std::string(verb), channel}, p);
}

void Connection::OnCommandReplyCb(redisAsyncContext* ac, void* reply,
                                  void* privdata) {
  auto* self = static_cast<Connection*>(privdata);
  if (self->pending_.empty()) return;  // cannot happen: one per command
  Pending p = std::move(self->pending_.front());
  self->pending_.pop_front();
  if (p.handshake_step != nullptr) {
    self->OnHandshakeReply(p.handshake_step, reply);
    return;
  }
  // A null reply: hiredis is freeing the context with this unanswered.
  absl::StatusOr<Reply> result =
      reply != nullptr
          ? absl::StatusOr<Reply>(FromHiredis(static_cast<redisReply*>(reply)))
          : absl::StatusOr<Reply>(self->LostCause());
  self->deferred_->push_back(
      [done = std::move(p.done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
}

// Every reply on the subscriber connection lands here: hiredis 0.14 keeps
// one callback per channel and, for a message on a channel it no longer
// knows, reuses whichever callback ran last. With a single callback for
// everything, dispatching on the reply's content is always right.
void Connection::OnSubscriberReplyCb(redisAsyncContext* ac, void* reply,
                                     void* privdata) {
  auto* self = static_cast<Connection*>(privdata);
  if (reply == nullptr) return;  // context going away; Lost() reports it
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_ARRAY) {
    Reply push = FromHiredis(r);
    const bool is_message =
        !push.elements().empty() && (push.elements()[0].str() == "message" ||
                                     push.elements()[0].str() == "pmessage");
    if (!is_message && !self->pending_.empty()) self->pending_.pop_front();
    if (self->hooks_.on_push) self->hooks_.on_push(push);
    return;
  }
  // Not an array: a reply to a handshake command (or an error).
  if (self->pending_.empty()) return;
  Pending p = std::move(self->pending_.front());
  self->pending_.pop_front();
  if (p.handshake_step != nullptr) self->OnHandshakeReply(p.handshake_step, r);
}

void Connection::OnHandshakeReply(const char* step, const void* reply) {
  if (reply == nullptr || drop_requested_) return;
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_ERROR) {
    // Redis's own words (e.g. "WRONGPASS invalid username-password pair"),
    // which never include the password; Unavailable() scrubs it anyway.
    SetCause(Unavailable(
        absl::StrCat(step, " failed: ", absl::string_view(r->str, r->len))));
    drop_requested_ = true;  // freed by Settle() once hiredis returns
    return;
  }
  if (absl::string_view(step) != "PING") return;
  state_ = State::kUp;
  backoff_ = settings_.initial_backoff;
  if (hooks_.on_up) hooks_.on_up();
}

void Connection::OnContextGone() {
  if (cause_.ok()) {
    cause_ = ac_->err
                 ? Unavailable(absl::StrCat("connection lost: ", ac_->errstr))
                 : Unavailable("connection closed");
  }
  ac_ = nullptr;
  want_read_ = want_write_ = false;
}

void Connection::Settle(SteadyTime now) {
  if (ac_ != nullptr && drop_requested_) {
    // Runs every pending callback with a null reply (they fail with
    // cause_), then CleanupCb, which clears ac_.
    redisAsyncFree(ac_);
  }
  if (ac_ == nullptr && (state_ == State::kConnecting ||
                         state_ == State::kHandshake || state_ == State::kUp)) {
    Lost(now);
  }
}

void Connection::Lost(SteadyTime now) {
  const bool was_up = state_ == State::kUp;
  absl::Status cause = cause_.ok() ? Unavailable("connection closed") : cause_;
  // hiredis answered every callback while freeing; this is a safety net.
  while (!pending_.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    if (p.done) {
      deferred_->push_back(
          [done = std::move(p.done), s = Detached(cause)]() mutable {
            done(std::move(s));
          });
    }
  }
  cause_ = absl::OkStatus();
  drop_requested_ = false;
  if (closing_) {
    state_ = State::kClosed;
  } else {
    state_ = State::kIdle;
    // Full jitter over the upper half, so replicas that lost Redis at the
    // same moment do not reconnect in lockstep.
    const auto half = backoff_ / 2;
    retry_at_ = now + half +
                SteadyClock::duration(absl::Uniform<SteadyClock::rep>(
                    bitgen_, 0, std::max<SteadyClock::rep>(half.count(), 1)));
    backoff_ = std::min(backoff_ * 2, settings_.max_backoff);
  }
  if (hooks_.on_down) hooks_.on_down(cause, was_up);
}

void Connection::Drop(absl::Status cause, SteadyTime now) {
  if (ac_ == nullptr) return;
  SetCause(std::move(cause));
  drop_requested_ = true;
  Settle(now);
}

void Connection::Close(absl::Status cause) {
  if (state_ == State::kClosed) return;
  closing_ = true;
  if (ac_ != nullptr) {
    SetCause(std::move(cause));
    // Fails what is in flight (null replies), then CleanupCb clears ac_.
    redisAsyncFree(ac_);
  }
  if (state_ != State::kIdle) Lost(SteadyClock::now());
  state_ = State::kClosed;
}

void Connection::SetCause(absl::Status cause) {
  if (cause_.ok()) cause_ = std::move(cause);
}

absl::Status Connection::LostCause() {
  if (cause_.ok() && ac_ != nullptr) {
    cause_ = ac_->err
                 ? Unavailable(absl::StrCat("connection lost: ", ac_->errstr))
                 : Unavailable("connection closed");
  }
  return cause_.ok() ? Unavailable("connection closed") : Detached(cause_);
}

absl::Status Connection::Unavailable(absl::string_view what) const {
  std::string message =
      absl::StrCat("Redis ", settings_.name, " connection to ",
                   settings_.endpoint.ToString(), ": ", what);
  // Nothing we build quotes the password, and Redis never echoes it; this
  // is the guarantee in case a future message or server version would.
  if (!settings_.endpoint.password.empty()) {
    absl::StrReplaceAll({{settings_.endpoint.password, "<redacted>"}},
                        &message);
  }
  return absl::UnavailableError(message);
}

std::chrono::milliseconds Connection::Millis(SteadyClock::duration d) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

}  // namespace mediagen::redis::internal
