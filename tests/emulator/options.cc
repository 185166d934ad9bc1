#include "tests/emulator/options.h"

namespace mediagen::emulator {

std::vector<AccountSpec> DefaultAccounts(Provider provider) {
  switch (provider) {
    case Provider::kVimmerse:
      return {
          {Provider::kVimmerse, "vimmerse-demo-key", "demo-customer", 1000000,
           0},
          {Provider::kVimmerse, "vimmerse-test-key", "test-customer", 1000, 0},
          {Provider::kVimmerse, "vimmerse-broke-key", "broke-customer", 0, 0}};
    case Provider::kElevenLabs:
      return {{Provider::kElevenLabs, "elevenlabs-demo-key", "demo-el", 0, 0},
              {Provider::kElevenLabs, "elevenlabs-test-key", "test-el", 0, 0}};
    case Provider::kAimlapi:
      return {
          {Provider::kAimlapi, "aimlapi-demo-key", "demo-aiml", 100000000, 0},
          {Provider::kAimlapi, "aimlapi-test-key", "test-aiml", 1000000, 0},
          {Provider::kAimlapi, "aimlapi-broke-key", "broke-aiml", 0, 0}};
  }
  return {};
}

std::vector<AccountSpec> ResolvedAccounts(const EmulatorOptions& options) {
  std::vector<AccountSpec> out = options.accounts;
  for (Provider p :
       {Provider::kVimmerse, Provider::kElevenLabs, Provider::kAimlapi}) {
    bool has = false;
    for (const AccountSpec& a : options.accounts) has = has || a.provider == p;
    if (!has) {
      for (AccountSpec& a : DefaultAccounts(p)) out.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace mediagen::emulator
