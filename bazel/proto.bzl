"""`cc_grpc_proto`: one macro that turns .proto files into C++ libraries.

Debian ships protoc and grpc_cpp_plugin but not the protobuf Bazel rules, so
this small rule runs them directly:

    cc_grpc_proto(
        name = "jobs_cc_proto",
        srcs = ["jobs.proto"],
        strip_import_prefix = "/proto",     # imported as "mediagen/v1/jobs.proto"
        deps = ["//proto/mediagen/v1:common_cc_proto"],
    )

gives
  :jobs_cc_proto        cc_library with the messages (.pb.h/.pb.cc) and, when
                        `grpc = True` (default), the stubs (.grpc.pb.h/.cc);
  :jobs_cc_proto_mocks  testonly cc_library with the gMock stubs
                        (_mock.grpc.pb.h) for client-side unit tests.

`deps` name other cc_grpc_proto targets; their .proto files become importable.
Well-known types (google/protobuf/*.proto) come from /usr/include.

Generated code keeps no comments. For tools that show them (the CLI's help),

    proto_descriptor_set(
        name = "api_descriptor_set",
        deps = [":jobs_cc_proto", ":media_cc_proto"],
    )

gives `api_descriptor_set.pb`: one serialized FileDescriptorSet of those files
and everything they import, with source info (the comments).
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

_ProtoSources = provider(
    doc = "Proto files of a cc_grpc_proto target and its deps, for imports.",
    fields = {
        "sources": "depset of .proto Files (transitive)",
        "import_roots": "depset of -I directories (transitive)",
        "import_paths": "depset of the sources' import paths (transitive)",
    },
)

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"
_WELL_KNOWN_ROOT = "/usr/include"

def _join(*parts):
    return "/".join([p.strip("/") for p in parts if p.strip("/")])

def _proto_gen_impl(ctx):
    strip = ctx.attr.strip_import_prefix.strip("/")
    src_root = _join(ctx.label.workspace_root, strip) or "."
    out_root = _join(ctx.bin_dir.path, ctx.label.workspace_root, strip)

    pkg_path = _join(ctx.label.workspace_root, ctx.label.package)
    hdrs, srcs, mocks = [], [], []
    for src in ctx.files.srcs:
        if src.owner.package != ctx.label.package:
            fail("%s: proto files must be in the rule's package" % src)
        stem = src.basename[:-len(".proto")]
        rel = src.path[len(pkg_path) + 1:] if pkg_path else src.path
        rel_dir = rel[:-len(src.basename)]
        hdrs.append(ctx.actions.declare_file(rel_dir + stem + ".pb.h"))
        srcs.append(ctx.actions.declare_file(rel_dir + stem + ".pb.cc"))
        if ctx.attr.grpc:
            hdrs.append(ctx.actions.declare_file(rel_dir + stem + ".grpc.pb.h"))
            srcs.append(ctx.actions.declare_file(rel_dir + stem + ".grpc.pb.cc"))
            mocks.append(ctx.actions.declare_file(rel_dir + stem + "_mock.grpc.pb.h"))

    dep_sources = [d[_ProtoSources].sources for d in ctx.attr.deps]
    dep_roots = [d[_ProtoSources].import_roots for d in ctx.attr.deps]
    roots = depset([src_root], transitive = dep_roots)

    args = ctx.actions.args()
    args.add_all(roots, format_each = "-I%s")
    args.add("-I" + _WELL_KNOWN_ROOT)
    args.add("--cpp_out=" + out_root)
    if ctx.attr.grpc:
        args.add("--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN)
        args.add("--grpc_out=generate_mock_code=true:" + out_root)

    # protoc wants each file as its import path, relative to an -I root.
    prefix = src_root + "/" if src_root != "." else ""
    import_paths = []
    for src in ctx.files.srcs:
        if not src.path.startswith(prefix):
            fail("%s is not under strip_import_prefix %s" % (src.path, strip))
        import_paths.append(src.path[len(prefix):])
    args.add_all(import_paths)

    ctx.actions.run(
        executable = _PROTOC,
        arguments = [args],
        inputs = depset(ctx.files.srcs, transitive = dep_sources),
        outputs = hdrs + srcs + mocks,
        mnemonic = "ProtocCpp",
        progress_message = "Generating C++ for %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(hdrs + srcs + mocks)),
        OutputGroupInfo(hdrs = depset(hdrs), srcs = depset(srcs), mocks = depset(mocks)),
        _ProtoSources(
            sources = depset(ctx.files.srcs, transitive = dep_sources),
            import_roots = roots,
            import_paths = depset(
                import_paths,
                transitive = [d[_ProtoSources].import_paths for d in ctx.attr.deps],
            ),
        ),
    ]

_proto_gen = rule(
    implementation = _proto_gen_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".proto"], mandatory = True),
        "deps": attr.label_list(providers = [_ProtoSources]),
        "strip_import_prefix": attr.string(),
        "grpc": attr.bool(default = True),
    },
)

def cc_grpc_proto(name, srcs, deps = [], strip_import_prefix = "", grpc = True, visibility = None):
    """C++ messages (+ gRPC stubs and mocks) for `srcs`. See the file comment."""
    _proto_gen(
        name = name + "_gen",
        srcs = srcs,
        deps = [d + "_gen" for d in deps],
        strip_import_prefix = strip_import_prefix,
        grpc = grpc,
        visibility = visibility,
    )
    for group in ["hdrs", "srcs", "mocks"]:
        native.filegroup(
            name = "%s_%s_files" % (name, group),
            srcs = [":%s_gen" % name],
            output_group = group,
        )
    system = ["@system//:protobuf"] + (["@system//:grpcpp"] if grpc else [])
    cc_library(
        name = name,
        srcs = [":%s_srcs_files" % name],
        hdrs = [":%s_hdrs_files" % name],
        strip_include_prefix = strip_import_prefix,
        deps = deps + system,
        visibility = visibility,
    )
    if grpc:
        cc_library(
            name = name + "_mocks",
            hdrs = [":%s_mocks_files" % name],
            strip_include_prefix = strip_import_prefix,
            deps = [":" + name, "@system//:gmock"],
            testonly = True,
            visibility = visibility,
        )

def _descriptor_set_impl(ctx):
    infos = [d[_ProtoSources] for d in ctx.attr.deps]
    out = ctx.actions.declare_file(ctx.attr.name + ".pb")
    args = ctx.actions.args()
    args.add_all(depset(transitive = [i.import_roots for i in infos]), format_each = "-I%s")
    args.add("-I" + _WELL_KNOWN_ROOT)
    args.add("--include_source_info")
    args.add("--include_imports")
    args.add("--descriptor_set_out=" + out.path)
    args.add_all(depset(transitive = [i.import_paths for i in infos]))
    ctx.actions.run(
        executable = _PROTOC,
        arguments = [args],
        inputs = depset(transitive = [i.sources for i in infos]),
        outputs = [out],
        mnemonic = "ProtocDescriptorSet",
        progress_message = "Generating the descriptor set %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]))]

_descriptor_set = rule(
    implementation = _descriptor_set_impl,
    attrs = {
        "deps": attr.label_list(providers = [_ProtoSources], mandatory = True),
    },
)

def proto_descriptor_set(name, deps, visibility = None):
    """`name`.pb: the FileDescriptorSet of `deps` (cc_grpc_proto targets) and
    their imports, with comments. See the file comment."""
    _descriptor_set(
        name = name,
        deps = [d + "_gen" for d in deps],
        visibility = visibility,
    )
