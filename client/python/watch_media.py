#!/usr/bin/python3
"""Creates a Vimmerse media job through mediagen and watches it to the end.

  client/python/gen_stubs /tmp/mgpy
  /usr/bin/python3 client/python/watch_media.py --stubs /tmp/mgpy \
      --target 127.0.0.1:50051 [--token TOKEN]

Uses Debian's python3-grpcio; the stubs come from proto/ (gen_stubs).
"""
import argparse
import sys
import time
import uuid


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", default="127.0.0.1:50051")
    p.add_argument("--stubs", required=True, help="output dir of gen_stubs")
    p.add_argument("--token", default="", help="bearer token (not needed in --dev)")
    p.add_argument("--prompt", default="A cinematic drone shot over snow "
                   "mountains at sunrise with dramatic clouds")
    args = p.parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    from mediagen.v1 import common_pb2, jobs_pb2, jobs_pb2_grpc
    from mediagen.v1 import media_pb2, media_pb2_grpc

    metadata = [("authorization", "Bearer " + args.token)] if args.token else []
    channel = grpc.insecure_channel(args.target)
    media = media_pb2_grpc.MediaServiceStub(channel)
    jobs = jobs_pb2_grpc.JobServiceStub(channel)

    request = media_pb2.CreateMediaRequest(
        request_id=str(uuid.uuid4()),  # safe to retry: never charged twice
        title="mediagen demo",
        prompt=args.prompt,
        duration=5,
        aspect_ratio="16:9",
        audio_option=media_pb2.AudioOption(
            narrator="Sarah",
            narration="Introducing the next generation of smart performance.",
            bg_music_prompt="Modern, cinematic background with subtle "
                            "electronic elements"),
    )
    try:
        created = media.CreateMedia(request, timeout=30, metadata=metadata)
    except grpc.RpcError as e:
        print(f"create failed: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    name = created.media.name
    print(f"created {name} (status {created.media.processing_status})")

    start = time.time()
    last = None
    try:
        for event in jobs.WatchJob(jobs_pb2.WatchJobRequest(name=name),
                                   timeout=600, metadata=metadata):
            if event.WhichOneof("event") != "job":
                continue
            job = event.job
            pct = job.progress_percentage if job.HasField(
                "progress_percentage") else 0
            bar = "#" * (pct // 5) + "." * (20 - pct // 5)
            state = common_pb2.JobState.Name(job.state).replace("JOB_STATE_", "")
            line = (f"{time.time() - start:6.1f}s [{bar}] {pct:3d}% "
                    f"{state.lower():9s} ({job.upstream_status}) v{job.version}")
            if line != last:
                print(line, flush=True)
                last = line
            if job.result_urls:
                for url in job.result_urls:
                    print(f"result: {url}")
    except grpc.RpcError as e:
        print(f"watch failed: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    print(f"{name} finished in {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
