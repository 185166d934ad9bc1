// JobService on the gRPC callback API (jobs.proto): GetJob and WatchJob
// through the JobRegistry, so every watcher of a job shares one poller.
#ifndef MEDIAGEN_SERVICE_API_JOB_SERVICE_H_
#define MEDIAGEN_SERVICE_API_JOB_SERVICE_H_

#include "mediagen/v1/jobs.grpc.pb.h"
#include "service/api/api_context.h"

namespace mediagen::api {

class JobServiceImpl : public v1::JobService::CallbackService {
 public:
  explicit JobServiceImpl(ApiContext api) : api_(std::move(api)) {}

  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx,
                                   const v1::GetJobRequest* req,
                                   v1::GetJobResponse* resp) override;
  grpc::ServerWriteReactor<v1::WatchJobResponse>* WatchJob(
      grpc::CallbackServerContext* ctx,
      const v1::WatchJobRequest* req) override;

 private:
  const ApiContext api_;
};

// How the registry reads a job for a tenant: one engine GetJob with the
// poll timeout as its deadline. The first read ends by `first_deadline` at
// the latest: a GetJob's upstream deadline, when the read is made for it
// (the registry keeps the first caller's reader for the job's later polls,
// which take the poll timeout). A read that finds the job ended frees its
// place among the tenant's jobs in flight (api.quota).
jobs::ReadFn JobReader(const ApiContext& api, std::string tenant,
                       upstream::Credentials credentials, std::string name,
                       absl::Time first_deadline = absl::InfiniteFuture());

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_JOB_SERVICE_H_
