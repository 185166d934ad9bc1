#include "tests/security/raw_call.h"

#include <chrono>
#include <cstdint>
#include <utility>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"

namespace mediagen::testing {

grpc::Status RawCall(std::shared_ptr<grpc::Channel> channel,
                     const std::string& method, const std::string& request,
                     const std::multimap<std::string, std::string>& metadata,
                     std::vector<std::string>* responses) {
  grpc::GenericStub stub(std::move(channel));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  auto call = stub.PrepareCall(&ctx, method, &cq);
  void* tag;
  bool ok;
  auto step = [&](intptr_t want) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  while (true) {
    grpc::ByteBuffer in;
    call->Read(&in, reinterpret_cast<void*>(4));
    if (!step(4)) break;
    if (responses != nullptr) {
      std::vector<grpc::Slice> slices;
      (void)in.Dump(&slices);
      std::string bytes;
      for (const auto& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      responses->push_back(std::move(bytes));
    }
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

}  // namespace mediagen::testing
