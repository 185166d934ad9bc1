"""cc_fuzz_test: a libFuzzer target that is also an ordinary test.

    cc_fuzz_test(
        name = "vimmerse_response_fuzzer",
        srcs = ["vimmerse_response_fuzzer.cc"],
        deps = ["//service/upstream:vimmerse"],
    )

makes `:vimmerse_response_fuzzer` (the binary; it defines
LLVMFuzzerTestOneInput) and `:vimmerse_response_fuzzer_test`, which runs it
on the seed corpus `corpus/vimmerse_response_fuzzer/`:

- in every build but `--config=fuzz`, the binary links replay_main.cc, so
  the test replays the seeds once (with gcc, and under asan/ubsan/tsan);
- with `--config=fuzz` (clang, `-fsanitize=fuzzer,address,undefined`) the
  binary is a libFuzzer fuzzer and the test fuzzes for $FUZZ_SECONDS
  (10 unless set with --test_env), starting from the seeds.

Findings (crash inputs) are written to the test's undeclared outputs.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

def cc_fuzz_test(name, srcs, deps = [], size = "small", **kwargs):
    corpus = native.glob(["corpus/%s/*" % name])
    if not corpus:
        fail("%s has no seed corpus in corpus/%s/" % (name, name))
    cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        deps = deps + select({
            "//tests/fuzz:libfuzzer": [],
            "//conditions:default": ["//tests/fuzz:replay_main"],
        }),
        linkopts = select({
            "//tests/fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
    )
    native.sh_test(
        name = name + "_test",
        size = size,
        srcs = ["//tests/fuzz:run_fuzzer.sh"],
        args = ["$(location :%s)" % name] + ["$(location %s)" % f for f in corpus],
        data = [":" + name] + corpus,
        **kwargs
    )
