#include "tests/emulator/accounts.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/emulator/util.h"

namespace mediagen::emulator {

const char* ProviderName(Provider p) {
  switch (p) {
    case Provider::kVimmerse:
      return "vimmerse";
    case Provider::kElevenLabs:
      return "elevenlabs";
    case Provider::kAimlapi:
      return "aimlapi";
  }
  return "unknown";
}

Accounts::Accounts(std::vector<AccountSpec> specs) {
  for (AccountSpec& spec : specs) {
    customer_by_key_[{spec.provider, spec.key}] = spec.customer_id;
    Account account;
    account.balance = spec.credits;
    account.spec = std::move(spec);
    by_customer_[account.spec.customer_id] = std::move(account);
  }
}

std::optional<std::string> Accounts::CustomerFor(Provider provider,
                                                 const std::string& key) const {
  if (key.empty()) return std::nullopt;
  auto it = customer_by_key_.find({provider, key});
  if (it == customer_by_key_.end()) return std::nullopt;
  return it->second;
}

bool Accounts::TryCharge(const std::string& customer_id, double credits) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_customer_.find(customer_id);
  if (it == by_customer_.end()) return false;
  if (credits <= 0) return true;
  if (it->second.balance < credits) return false;
  it->second.balance -= credits;
  return true;
}

double Accounts::Balance(const std::string& customer_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_customer_.find(customer_id);
  return it == by_customer_.end() ? 0 : it->second.balance;
}

int Accounts::ConcurrencyLimit(const std::string& customer_id) const {
  auto it = by_customer_.find(customer_id);
  return it == by_customer_.end() ? 0 : it->second.spec.concurrency_limit;
}

absl::Status Accounts::SetCredits(const std::string& customer_id,
                                  double credits) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_customer_.find(customer_id);
  if (it == by_customer_.end()) {
    return absl::NotFoundError(absl::StrCat("no customer ", customer_id));
  }
  it->second.balance = credits;
  return absl::OkStatus();
}

void Accounts::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, account] : by_customer_)
    account.balance = account.spec.credits;
}

nlohmann::json Accounts::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [id, account] : by_customer_) {
    nlohmann::json entry = {{"provider", ProviderName(account.spec.provider)}};
    if (account.spec.provider == Provider::kElevenLabs) {
      entry["concurrency_limit"] = account.spec.concurrency_limit;
    } else {
      entry["credits"] = JsonNumber(account.balance);
      entry["initial_credits"] = JsonNumber(account.spec.credits);
    }
    out[id] = std::move(entry);
  }
  return out;
}

}  // namespace mediagen::emulator
