// Pub/sub for the Redis client (client.h): what a subscriber provides
// (SubscribeCallbacks), the handle it gets back (Subscription), and, for
// the client's loop thread, the table of channels and subscribers that
// decides when SUBSCRIBE and UNSUBSCRIBE go out and who is told what.
//
//   SubscribeCallbacks callbacks;
//   callbacks.on_message = [](absl::string_view channel,
//                             absl::string_view payload) { ... };
//   callbacks.on_resubscribed = [] { /* messages were lost: re-read */ };
//   std::unique_ptr<Subscription> sub =
//       client.Subscribe("jobs:{tenant}:job-1", std::move(callbacks));
//   ...
//   sub.reset();  // unsubscribes; no callback of it runs after this
//
// Channels are subscribed on the client's second connection, the
// subscriber connection. Several subscribers may share a channel: SUBSCRIBE
// goes out for the first and UNSUBSCRIBE for the last. After a reconnect
// every channel with subscribers is subscribed again.
#ifndef MEDIAGEN_SERVICE_REDIS_SUBSCRIPTION_H_
#define MEDIAGEN_SERVICE_REDIS_SUBSCRIPTION_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "service/redis/reply.h"
#include "service/redis/work_queue.h"

namespace mediagen::redis {

// Every callback runs on the client's loop thread: quick, never blocking.
struct SubscribeCallbacks {
  // Each message published on the channel while subscribed.
  std::function<void(absl::string_view channel, absl::string_view payload)>
      on_message;
  // Redis confirmed the subscription: messages published from now on
  // arrive. Read the current state after this, not before. Optional.
  std::function<void()> on_subscribed;
  // The subscriber connection was lost: messages are missed until
  // on_resubscribed. Optional.
  std::function<void()> on_interrupted;
  // Subscribed again after a reconnect. Messages published meanwhile were
  // lost: re-read the state they would have announced. Optional.
  std::function<void()> on_resubscribed;
};

namespace internal {
class Connection;
class SubscriptionTable;

struct SubscriberEntry {
  SubscriberEntry(std::string channel, SubscribeCallbacks callbacks,
                  const WorkQueue* queue)
      : channel(std::move(channel)), callbacks(std::move(callbacks), queue) {}
  const std::string channel;
  Guarded<SubscribeCallbacks> callbacks;
  // Loop thread only.
  bool live = false;            // subscribed on the current connection
  bool confirmed_once = false;  // on_subscribed already ran
};
}  // namespace internal

// Unsubscribes when destroyed. Once the destructor returns, none of its
// callbacks runs again; destroyed on another thread while one of them runs,
// it waits for that one to return (so do not destroy it under a lock that
// its callbacks take). May outlive the client (it is inert then).
class Subscription {
 public:
  Subscription(std::shared_ptr<internal::WorkQueue> queue,
               std::shared_ptr<internal::SubscriberEntry> entry,
               internal::SubscriptionTable* table);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  const std::string& channel() const { return entry_->channel; }

 private:
  const std::shared_ptr<internal::WorkQueue> queue_;
  const std::shared_ptr<internal::SubscriberEntry> entry_;
  internal::SubscriptionTable* const table_;
};

namespace internal {

// Channels, their subscribers, and where each channel's SUBSCRIBE and
// UNSUBSCRIBE stand on the current subscriber connection. Loop thread only.
// User callbacks are not run here but appended to `deferred`, which the
// loop runs once hiredis has returned.
class SubscriptionTable {
 public:
  using Deferred = std::vector<absl::AnyInvocable<void()>>;

  SubscriptionTable(Connection* subscriber, Deferred* deferred)
      : subscriber_(subscriber), deferred_(deferred) {}

  void Add(const std::shared_ptr<SubscriberEntry>& entry);
  void Remove(const std::shared_ptr<SubscriberEntry>& entry);
  // The subscriber connection is up: subscribe every channel again.
  void OnUp();
  // It was lost: nothing is subscribed; live subscribers are interrupted.
  void OnDown();
  // A "subscribe", "unsubscribe" or "message" reply.
  void OnPush(const Reply& push);
  void Clear() { channels_.clear(); }

 private:
  // Confirmations come back in order, so a channel is subscribed exactly
  // when the last command sent for it was SUBSCRIBE and every confirmation
  // has arrived (a quick SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBE is not
  // confirmed by the first reply).
  struct Channel {
    std::vector<std::shared_ptr<SubscriberEntry>> subs;
    int outstanding = 0;          // SUBSCRIBE/UNSUBSCRIBE not confirmed yet
    bool subscribe_sent = false;  // the last one sent was SUBSCRIBE
    bool confirmed = false;
  };

  void Send(const char* verb, const std::string& name, Channel& channel);
  void MarkLive(const std::shared_ptr<SubscriberEntry>& entry);

  Connection* const subscriber_;
  Deferred* const deferred_;
  std::map<std::string, Channel> channels_;
};

}  // namespace internal
}  // namespace mediagen::redis

#endif  // MEDIAGEN_SERVICE_REDIS_SUBSCRIPTION_H_
