// RawCall: one call of any RPC by its path with the request's bytes as
// they are, through gRPC's generic stub: on the wire as every kind of RPC
// is (one message out, every message in). For requests no typed stub would
// build (invalid UTF-8, undecodable bytes) and for walking every method
// from the descriptors.
//
//   grpc::Status s = RawCall(server.channel(),
//                            "/mediagen.v1.MediaService/CreateMedia",
//                            request.SerializeAsString(),
//                            {{"authorization", "Bearer " + token}});
#ifndef MEDIAGEN_TESTS_SECURITY_RAW_CALL_H_
#define MEDIAGEN_TESTS_SECURITY_RAW_CALL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace mediagen::testing {

// The call's status; each response message's bytes go to `responses` when
// given. Deadline 15 s. Steps that go wrong are test failures.
grpc::Status RawCall(
    std::shared_ptr<grpc::Channel> channel, const std::string& method,
    const std::string& request,
    const std::multimap<std::string, std::string>& metadata = {},
    std::vector<std::string>* responses = nullptr);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_SECURITY_RAW_CALL_H_
