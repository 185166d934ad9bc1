"""`@googleapis`: the few official google.rpc protos mediagen uses.

Debian has no C++ package for google/rpc/{status,error_details}.proto, but the
npm package `google-proto-files` ships the official copies, and
scripts/install-deps (part of both README commands) puts it in node_modules.
This rule links just the files we compile, so the build does not glob an
88 MB package.
"""

_FILES = [
    "google/rpc/code.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
]

_BUILD = '''
load("@//bazel:proto.bzl", "cc_grpc_proto")

package(default_visibility = ["//visibility:public"])

cc_grpc_proto(
    name = "rpc_code_cc_proto",
    srcs = ["google/rpc/code.proto"],
    grpc = False,
)

cc_grpc_proto(
    name = "rpc_status_cc_proto",
    srcs = ["google/rpc/status.proto"],
    grpc = False,
)

cc_grpc_proto(
    name = "rpc_error_details_cc_proto",
    srcs = ["google/rpc/error_details.proto"],
    grpc = False,
)

exports_files(%r)
'''

def _googleapis_impl(rctx):
    root = rctx.path(Label("@//:package.json")).dirname
    pkg = root.get_child("node_modules").get_child("google-proto-files")
    for f in _FILES:
        path = pkg
        for part in f.split("/"):
            path = path.get_child(part)
        if not path.exists:
            fail("%s not found: run scripts/install-deps in %s first (README.md)" % (path, root))
        rctx.symlink(path, f)
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD", _BUILD % _FILES)

googleapis_from_npm = repository_rule(
    implementation = _googleapis_impl,
    local = True,
)
