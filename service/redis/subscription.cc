#include "service/redis/subscription.h"

#include <algorithm>
#include <utility>

#include "service/redis/connection.h"

namespace mediagen::redis {

Subscription::Subscription(std::shared_ptr<internal::WorkQueue> queue,
                           std::shared_ptr<internal::SubscriberEntry> entry,
                           internal::SubscriptionTable* table)
    : queue_(std::move(queue)), entry_(std::move(entry)), table_(table) {}

Subscription::~Subscription() {
  entry_->callbacks.Cancel();
  // Runs only while the loop (and so the table) is alive; dropped unrun
  // once the client has stopped.
  queue_->Push([table = table_, entry = entry_] { table->Remove(entry); });
}

namespace internal {

void SubscriptionTable::Add(const std::shared_ptr<SubscriberEntry>& entry) {
  Channel& channel = channels_[entry->channel];
  channel.subs.push_back(entry);
  if (channel.confirmed) {
    MarkLive(entry);
  } else if (!channel.subscribe_sent && subscriber_->up()) {
    Send("SUBSCRIBE", entry->channel, channel);
  }
}

void SubscriptionTable::Remove(const std::shared_ptr<SubscriberEntry>& entry) {
  auto it = channels_.find(entry->channel);
  if (it == channels_.end()) return;
  Channel& channel = it->second;
  channel.subs.erase(
      std::remove(channel.subs.begin(), channel.subs.end(), entry),
      channel.subs.end());
  if (!channel.subs.empty()) return;
  if (channel.subscribe_sent) {
    channel.confirmed = false;
    Send("UNSUBSCRIBE", it->first, channel);
  }
  if (channel.outstanding == 0) channels_.erase(it);
}

void SubscriptionTable::Send(const char* verb, const std::string& name,
                             Channel& channel) {
  const bool subscribe = verb[0] == 'S';
  channel.subscribe_sent = subscribe;
  // A refusal means the connection is going away; OnDown resets the rest.
  if (subscriber_->SendPubSub(verb, name, SteadyClock::now())) {
    ++channel.outstanding;
  }
}

void SubscriptionTable::OnUp() {
  for (auto& [name, channel] : channels_) {
    if (!channel.subs.empty() && !channel.subscribe_sent) {
      Send("SUBSCRIBE", name, channel);
    }
  }
}

void SubscriptionTable::OnDown() {
  for (auto it = channels_.begin(); it != channels_.end();) {
    Channel& channel = it->second;
    channel.outstanding = 0;
    channel.subscribe_sent = false;
    channel.confirmed = false;
    for (const auto& sub : channel.subs) {
      if (!sub->live) continue;
      sub->live = false;
      deferred_->push_back([sub] {
        sub->callbacks.Run([](SubscribeCallbacks& cb) {
          if (cb.on_interrupted) cb.on_interrupted();
        });
      });
    }
    it = channel.subs.empty() ? channels_.erase(it) : std::next(it);
  }
}

void SubscriptionTable::OnPush(const Reply& push) {
  const std::vector<Reply>& e = push.elements();
  if (e.size() < 3) return;
  const std::string& kind = e[0].str();
  auto it = channels_.find(e[1].str());
  if (it == channels_.end()) return;
  Channel& channel = it->second;
  if (kind == "message") {
    // One copy of the payload, shared by the channel's subscribers.
    auto payload = std::make_shared<const std::string>(e[2].str());
    for (const auto& sub : channel.subs) {
      deferred_->push_back([sub, payload] {
        sub->callbacks.Run([&](SubscribeCallbacks& cb) {
          if (cb.on_message) cb.on_message(sub->channel, *payload);
        });
      });
    }
    return;
  }
  if (kind != "subscribe" && kind != "unsubscribe") return;
  if (channel.outstanding > 0) --channel.outstanding;
  if (channel.outstanding > 0) return;
  if (channel.subscribe_sent) {
    if (channel.confirmed) return;
    channel.confirmed = true;
    for (const auto& sub : channel.subs) MarkLive(sub);
  } else if (channel.subs.empty()) {
    channels_.erase(it);
  }
}

void SubscriptionTable::MarkLive(const std::shared_ptr<SubscriberEntry>& sub) {
  if (sub->live) return;
  sub->live = true;
  const bool again = sub->confirmed_once;
  sub->confirmed_once = true;
  deferred_->push_back([sub, again] {
    sub->callbacks.Run([again](SubscribeCallbacks& cb) {
      if (again && cb.on_resubscribed) cb.on_resubscribed();
      if (!again && cb.on_subscribed) cb.on_subscribed();
    });
  });
}

}  // namespace internal
}  // namespace mediagen::redis
