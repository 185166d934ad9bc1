#include "service/idempotency/fingerprint.h"

#include <memory>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "service/common/sha256.h"

namespace mediagen::idempotency {

std::string Fingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  if (const auto* field = copy->GetDescriptor()->FindFieldByName("request_id")) {
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    copy->SerializeWithCachedSizes(&coded);
  }
  return Sha256Hex(bytes);
}

}  // namespace mediagen::idempotency
