"""Makes Debian's rules_cc (0.0.4) loadable by Debian's Bazel (4.2.3).

rules_cc 0.0.4 loads `use_cpp_toolchain` from @bazel_tools, which Bazel 4.2.3
does not have yet. We copy the packaged tree and replace that one symbol with
what it expands to in Bazel 4, so `load("@rules_cc//cc:defs.bzl", ...)` works
with no download. Everything else in the tree is used unchanged.
"""

_PATCHED_FILES = [
    "cc/private/rules_impl/cc_flags_supplier.bzl",
    "cc/private/rules_impl/compiler_flag.bzl",
]

_TOOLCHAIN_TYPE = '["@bazel_tools//tools/cpp:toolchain_type"]'

def _debian_rules_cc_impl(rctx):
    src = rctx.attr.path
    if not rctx.path(src + "/cc/defs.bzl").exists:
        fail("rules_cc not found at %s: install Debian's bazel-rules-cc" % src)
    result = rctx.execute(["cp", "-R", src + "/.", "."])
    if result.return_code != 0:
        fail("copying %s failed: %s" % (src, result.stderr))
    for f in _PATCHED_FILES:
        text = rctx.read(f)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace("use_cpp_toolchain()", _TOOLCHAIN_TYPE)
        rctx.file(f, text, executable = False)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    local = True,
)
