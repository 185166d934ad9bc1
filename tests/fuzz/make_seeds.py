#!/usr/bin/env python3
"""Writes the fuzz seed corpus (corpus/<target>/) from the provider docs.

    tests/fuzz/make_seeds.py /path/to/shared/upstream-api

Every JSON example in the docs' .txt pages (their "{- ...}" rendering
included) and every response example of the v1 OpenAPI file is sorted by
shape to the parser that reads it; the shapes the docs describe only in
prose (ElevenLabs and AIMLAPI error envelopes, FastAPI's 422, webhook
bodies, headers) are written from that prose. Re-running it rewrites the
corpus; the files are committed, so builds never need the docs.
"""
import hashlib
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The keys the error_body_fuzzer's tenant holds (error_body_fuzzer.cc).
KEYS = ["vim-live-Qx7Wm2Lp9Zk4", "el_key_Rt5Yh8Kd3Nv", "aiml-Bx6Tq1Ws0Jf"]
PROVIDER = {"vimmerse": 0, "elevenlabs": 1, "aimlapi": 2}
# Index into error_body_fuzzer.cc's kStatuses.
STATUS = {400: 0, 401: 1, 402: 2, 403: 3, 404: 4, 408: 5, 409: 6, 413: 7,
          418: 8, 422: 9, 429: 10, 500: 11, 502: 12, 503: 13, 504: 14,
          599: 15, 100: 16, 204: 17, 302: 18, 304: 19}


def objects(text):
    """Balanced {...} segments of a page."""
    out, depth, start, in_str, esc = [], 0, None, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                out.append(text[start:i + 1])
    return out


def unrender(s):
    """The docs' "{- "a": 1, - "b": [ ]}" rendering back to JSON."""
    s = re.sub(r"\{-\s", "{", s)
    s = re.sub(r"\[-\s", "[", s)
    s = re.sub(r"(^|\n|,\s)-\s", r"\1", s)
    s = re.sub(r"\}\s*,\s*-\s", "}, ", s)
    return re.sub(r"\]\s*,\s*-\s", "], ", s)


def doc_examples(docs):
    found = []
    for name in sorted(os.listdir(docs)):
        path = os.path.join(docs, name)
        if name.endswith(".txt"):
            for o in objects(open(path, encoding="utf-8").read()):
                for cand in (o, unrender(o)):
                    try:
                        found.append(json.loads(cand))
                        break
                    except ValueError:
                        pass
        elif name.endswith(".json"):
            def walk(node):
                if isinstance(node, dict):
                    for k, v in node.items():
                        if k == "example" and isinstance(v, (dict, list)):
                            found.append(v)
                        walk(v)
                elif isinstance(node, list):
                    for v in node:
                        walk(v)
            walk(json.load(open(path, encoding="utf-8")))
    return found


def unwrap(o):
    while isinstance(o, dict) and set(o) == {"data"}:
        o = o["data"]
    return o


def kind(o):
    inner = unwrap(o)
    if not isinstance(inner, dict):
        return None
    if "processing_status" in inner or "pose_preset" in inner:
        return "media"
    if "results" in inner and ("app_name" in inner or "args" in inner):
        return "asset"
    if "total_credits" in inner:
        return "estimate"
    if "generation_id" in inner or (
            inner.get("status") in ("queued", "generating", "completed",
                                    "error") and "audio_file" in inner):
        return "generation"
    if "detail" in inner or ("message" in inner and len(inner) <= 5):
        return "error"
    return None


class Corpus:
    def __init__(self):
        self.files = {}

    def add(self, target, data, label):
        if isinstance(data, (dict, list)):
            data = json.dumps(data, ensure_ascii=False)
        if isinstance(data, str):
            data = data.encode("utf-8")
        digest = hashlib.sha1(data).hexdigest()[:10]
        self.files[(target, "%s-%s" % (label, digest))] = data

    def write(self):
        root = os.path.join(HERE, "corpus")
        if os.path.isdir(root):
            shutil.rmtree(root)
        for (target, name), data in sorted(self.files.items()):
            os.makedirs(os.path.join(root, target), exist_ok=True)
            with open(os.path.join(root, target, name), "wb") as f:
                f.write(data)
        return len(self.files)


def framed_error(provider, status, body, headers=(), read=False):
    head = bytes([PROVIDER[provider], STATUS[status], 0 if read else 1])
    lines = "".join("%s: %s\n" % h for h in headers)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    return head + (lines + "\n" + body).encode("utf-8")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    c = Corpus()
    examples = doc_examples(sys.argv[1])
    for o in examples:
        c.add("json_codec_fuzzer", o, "doc")
        k = kind(o)
        if k in ("media", "asset", "estimate"):
            c.add("vimmerse_response_fuzzer", o, "doc-" + k)
        elif k == "generation":
            c.add("aimlapi_generation_fuzzer", o, "doc")
        elif k == "error":
            c.add("error_body_fuzzer",
                  framed_error("vimmerse", 404 if "NOT_FOUND" in json.dumps(o)
                               else 400, o), "doc-vimmerse")

    # Shapes the docs give in prose (upstream-api/README.md).
    media = {"id": "m-1", "processing_status": "processing_bullet",
             "progress_percentage": "40", "duration_time": "5",
             "version": "2", "result": None,
             "created_at": "2025-04-01 18:57:37.355064+00:00"}
    c.add("vimmerse_response_fuzzer", media, "prose-media-string-progress")
    c.add("vimmerse_response_fuzzer", {"data": {"data": dict(
        media, progress_percentage=250, processing_status="fail")}},
        "prose-media-double-wrapped")
    c.add("vimmerse_response_fuzzer", {"id": "as-1", "status": "success",
                                       "results": ["https://cdn/x.mp4"],
                                       "progress_percentage": -3},
          "prose-asset")
    gens = [
        {"generation_id": "e6dcf61f:stable-audio"},
        {"id": "g:stable-audio", "status": "error", "audio_file": None,
         "error": {"name": "GenerationError", "message": "GPU timeout"},
         "meta": {"usage": {"credits_used": 25200}}},
        {"id": "g:stable-audio", "status": "completed",
         "audio_file": {"url": "https://cdn/a.wav",
                        "content_type": "application/octet-stream",
                        "file_name": "tmp.wav", "file_size": 1234}},
        {"id": "g:stable-audio", "status": "generating", "error": "boom"},
    ]
    for g in gens:
        c.add("aimlapi_generation_fuzzer", g, "prose")
        c.add("json_codec_fuzzer", g, "prose")

    errors = [
        ("vimmerse", 402, {"message": "Insufficient credit for this request.",
                           "code": "INSUFFICIENT_CREDIT"}, ()),
        ("vimmerse", 500, {"message": "Job create failed",
                           "code": "JOB_CREATE_FAILED"}, ()),
        ("vimmerse", 402, {"message": "INSUFFICIENT_CREDIT"}, ()),
        ("vimmerse", 422, {"detail": [
            {"loc": ["body", "media_items", 1, "url"],
             "msg": "Input should be a valid URL", "type": "url_parsing"},
            {"loc": ["query", "fields"], "msg": "Extra inputs are not "
             "permitted", "type": "extra_forbidden"}]}, ()),
        ("vimmerse", 429, {"message": "Too many requests.",
                           "code": "RATE_LIMIT_EXCEEDED"},
         (("Retry-After", "7"),)),
        ("vimmerse", 503, "<html><body>503 Service Unavailable</body></html>",
         (("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),)),
        ("elevenlabs", 429, {"detail": {
            "type": "rate_limit_error", "code": "concurrent_limit_exceeded",
            "message": "Too many concurrent requests",
            "status": "concurrent_limit_exceeded", "request_id": "req-1",
            "param": None}},
         (("current-concurrent-requests", "5"),
          ("maximum-concurrent-requests", "5"), ("request-id", "req-1"))),
        ("elevenlabs", 401, {"detail": {"status": "invalid_api_key",
                                        "message": "Invalid API key"}}, ()),
        ("elevenlabs", 400, {"detail": {
            "type": "invalid_request", "code": "unsupported_language_code",
            "message": "language_code is not supported",
            "param": "language_code"}}, ()),
        ("aimlapi", 403, {"message": "Insufficient tokens",
                          "path": "/v2/generate/audio", "requestId": "r-9",
                          "statusCode": 403,
                          "timestamp": "2025-04-01T18:57:37.355Z"}, ()),
        ("aimlapi", 422, {"message": ["prompt: Field required",
                                      "steps: must be <= 1000"],
                          "path": "/v2/generate/audio", "statusCode": 422},
         ()),
        ("aimlapi", 504, {"message": "Generation timeout", "statusCode": 504},
         ()),
    ]
    for provider, status, body, headers in errors:
        for read in (False, True):
            c.add("error_body_fuzzer",
                  framed_error(provider, status, body, headers, read),
                  "prose-%s-%d" % (provider, status))
        if isinstance(body, dict):
            c.add("json_codec_fuzzer", body, "prose-error")
    # The tenant's keys inside every field a message is built from: the
    # fuzzer mutates around them looking for a way past the scrubber.
    k0, k1, k2 = KEYS
    leaky = [
        ("vimmerse", 401, {"message": "Invalid API key %s" % k0,
                           "code": k0}, (("request-id", k0),)),
        ("elevenlabs", 400, {"detail": {"code": k1, "message": "key=%s" % k1,
                                        "param": k1, "request_id": k1}}, ()),
        ("aimlapi", 401, {"message": "Bearer %s rejected" % k2,
                          "requestId": "%s%s" % (k2, k0)}, ()),
        ("vimmerse", 422, {"detail": [{"loc": ["body", k0], "msg": k0}]}, ()),
    ]
    for provider, status, body, headers in leaky:
        c.add("error_body_fuzzer",
              framed_error(provider, status, body, headers), "keys")

    for fmt, headers in [
            (0, [("content-type", "audio/mpeg"), ("request-id", "el-req-1"),
                 ("character-cost", "12"),
                 ("current-concurrent-requests", "1"),
                 ("maximum-concurrent-requests", "5")]),
            (1, [("content-type", "audio/pcm"), ("character-cost", "-4")]),
            (2, [("content-type", "audio/basic;rate=8000"),
                 ("character-cost", "99999999999999999999")])]:
        c.add("elevenlabs_stream_info_fuzzer",
              bytes([fmt]) + "".join("%s: %s\n" % h
                                     for h in headers).encode(), "prose")

    # Findings, kept as regression inputs.
    c.add("elevenlabs_stream_info_fuzzer",
          b"\x01content-type: aud\xff\xffio/pcm\ncharacter-cost: -4\n",
          "finding-invalid-utf8-header")
    c.add("error_body_fuzzer", b'\x00\x0b\x01\n{"message": "Job create failed", "code": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeEeeeeeeJOB_C#EAILE0"}', "finding-reason-over-63")

    webhook_media = {"customer_id": "customer123",
                     "media_id": "abc123-def456-ghi789", "status": "success"}
    webhook_asset = {"customer_id": "customer123",
                     "asset_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                     "status": "processing_bullet"}
    for choice in (0, 1, 2):
        for body in (webhook_media, webhook_asset):
            c.add("webhook_fuzzer",
                  bytes([choice]) + json.dumps(body).encode(), "doc")
    c.add("webhook_fuzzer", b"\x03acme\n" + b"0" * 64 + b"\n" +
          json.dumps(webhook_media).encode(), "forged")
    c.add("json_codec_fuzzer", webhook_media, "webhook")
    print("wrote %d seeds" % c.write())


if __name__ == "__main__":
    main()
