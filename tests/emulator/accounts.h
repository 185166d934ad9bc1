// The emulator's customers: one per API key, per provider, each with a
// credit balance (Vimmerse credits, AIMLAPI tokens) or a concurrency limit
// (ElevenLabs). Keys are looked up but never returned: everything the
// control API shows is keyed by customer id.
//
//   Accounts accounts({{Provider::kVimmerse, "k1", "cust-1", 100, 0}});
//   std::optional<std::string> customer =
//       accounts.CustomerFor(Provider::kVimmerse, "k1");  // "cust-1"
//   if (!accounts.TryCharge("cust-1", 8)) { /* 402 */ }
#ifndef MEDIAGEN_TESTS_EMULATOR_ACCOUNTS_H_
#define MEDIAGEN_TESTS_EMULATOR_ACCOUNTS_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace mediagen::emulator {

enum class Provider { kVimmerse, kElevenLabs, kAimlapi };

const char* ProviderName(Provider p);

struct AccountSpec {
  Provider provider = Provider::kVimmerse;
  std::string key;
  std::string customer_id;
  double credits = 0;         // Vimmerse credits / AIMLAPI tokens
  int concurrency_limit = 0;  // ElevenLabs only; 0 = the global default
};

class Accounts {
 public:
  explicit Accounts(std::vector<AccountSpec> specs);

  // The customer behind `key` for `provider`, or nullopt for an unknown key.
  std::optional<std::string> CustomerFor(Provider provider,
                                         const std::string& key) const;

  // Spends `credits` when the balance covers them; false (nothing spent)
  // otherwise.
  bool TryCharge(const std::string& customer_id, double credits);

  double Balance(const std::string& customer_id) const;

  // The ElevenLabs concurrency limit of a customer (0 = the default).
  int ConcurrencyLimit(const std::string& customer_id) const;

  absl::Status SetCredits(const std::string& customer_id, double credits);

  // Balances back to their starting values.
  void Reset();

  // {customer_id: {provider, credits, initial_credits}}.
  nlohmann::json ToJson() const;

 private:
  struct Account {
    AccountSpec spec;
    double balance = 0;
  };
  // Written only in the constructor; `balance` is guarded by mu_.
  std::map<std::string, Account> by_customer_;
  std::map<std::pair<Provider, std::string>, std::string> customer_by_key_;
  mutable std::mutex mu_;
};

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_ACCOUNTS_H_
