// Every method of every mediagen.v1 service, from the generated descriptors,
// so suites that must cover each RPC (authentication, URL validation, the
// end-to-end walk) take one row per method and never miss a new one.
//
//   INSTANTIATE_TEST_SUITE_P(EveryRpc, MyRpcTest,
//                            ::testing::ValuesIn(ApiMethods()),
//                            MethodTestName);
//   ...
//   grpc::Status s = RawCall(MethodPath(GetParam()), request_bytes);
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_API_METHODS_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_API_METHODS_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace mediagen::testing {

using MethodDescriptor = google::protobuf::MethodDescriptor;

// The methods of MediaService, VideoService, AudioService,
// ElevenLabsService, StableAudioService, JobService and UsageService, in
// proto order.
std::vector<const MethodDescriptor*> ApiMethods();

// The gRPC path of `m`: "/mediagen.v1.MediaService/CreateMedia".
std::string MethodPath(const MethodDescriptor* m);

// A test name for a row of ApiMethods(): the method's name ("CreateMedia";
// method names are unique across the services).
std::string MethodTestName(
    const ::testing::TestParamInfo<const MethodDescriptor*>& info);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_API_METHODS_H_
