#include "service/upstream/providers/endpoints.h"

namespace mediagen::upstream {
namespace {

const std::string& Empty() {
  static const std::string* const empty = new std::string;
  return *empty;
}

}  // namespace

const std::string& Endpoints::BaseUrl(v1::Provider provider) const {
  switch (provider) {
    case v1::PROVIDER_VIMMERSE:
      return vimmerse;
    case v1::PROVIDER_ELEVENLABS:
      return elevenlabs;
    case v1::PROVIDER_AIMLAPI:
      return aimlapi;
    default:
      return Empty();
  }
}

const std::string& Credentials::KeyFor(v1::Provider provider) const {
  switch (provider) {
    case v1::PROVIDER_VIMMERSE:
      return vimmerse_api_key;
    case v1::PROVIDER_ELEVENLABS:
      return elevenlabs_api_key;
    case v1::PROVIDER_AIMLAPI:
      return aimlapi_api_key;
    default:
      return Empty();
  }
}

std::vector<std::string> Credentials::AllKeys() const {
  std::vector<std::string> keys;
  for (const std::string* key :
       {&vimmerse_api_key, &elevenlabs_api_key, &aimlapi_api_key}) {
    if (!key->empty()) keys.push_back(*key);
  }
  return keys;
}

absl::string_view ProviderDisplayName(v1::Provider provider) {
  switch (provider) {
    case v1::PROVIDER_VIMMERSE:
      return "Vimmerse";
    case v1::PROVIDER_ELEVENLABS:
      return "ElevenLabs";
    case v1::PROVIDER_AIMLAPI:
      return "AIMLAPI";
    default:
      return "upstream";
  }
}

absl::string_view ProviderId(v1::Provider provider) {
  switch (provider) {
    case v1::PROVIDER_VIMMERSE:
      return "vimmerse";
    case v1::PROVIDER_ELEVENLABS:
      return "elevenlabs";
    case v1::PROVIDER_AIMLAPI:
      return "aimlapi";
    default:
      return "unspecified";
  }
}

v1::Provider ProviderFromId(absl::string_view id) {
  for (v1::Provider p :
       {v1::PROVIDER_VIMMERSE, v1::PROVIDER_ELEVENLABS, v1::PROVIDER_AIMLAPI}) {
    if (ProviderId(p) == id) return p;
  }
  return v1::PROVIDER_UNSPECIFIED;
}

absl::string_view ProviderDomain(v1::Provider provider) {
  switch (provider) {
    case v1::PROVIDER_VIMMERSE:
      return "api.vimmerse.net";
    case v1::PROVIDER_ELEVENLABS:
      return "api.elevenlabs.io";
    case v1::PROVIDER_AIMLAPI:
      return "api.aimlapi.com";
    default:
      return "mediagen";
  }
}

}  // namespace mediagen::upstream
