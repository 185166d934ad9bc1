"""Debian's system libraries as one Bazel repository, `@system`.

Each library is a `cc_library` whose link flags come from `pkg-config`, asked
once when the repository is fetched. This is the only place in the build that
knows how a system library is linked: BUILD files depend on `@system//:grpcpp`
and never carry `-l` flags of their own.

Headers live in /usr/include, which the compiler searches already.
"""

def _pkg_config(rctx, flag, modules):
    result = rctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed (is the Debian -dev package installed? " %
             (flag, " ".join(modules)) + "see README.md):\n" + result.stderr)
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _unique(items):
    seen = {}
    out = []
    for item in items:
        if item not in seen:
            seen[item] = True
            out.append(item)
    return out

def _system_libs_impl(rctx):
    if rctx.which("pkg-config") == None:
        fail("pkg-config is not installed: apt-get install pkg-config")
    rules = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, spec in rctx.attr.libraries.items():
        modules = [m for m in spec.split(" ") if m and not m.startswith("-")]
        extra = [m for m in spec.split(" ") if m.startswith("-")]
        linkopts = extra
        defines = []
        if modules:
            linkopts = _pkg_config(rctx, "--libs", modules) + extra
            for flag in _pkg_config(rctx, "--cflags", modules):
                if flag.startswith("-D"):
                    defines.append(flag[2:])
        rules.append("cc_library(\n    name = %r,\n    linkopts = %r,\n    defines = %r,\n)\n" %
                     (name, linkopts, _unique(defines)))
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD", "\n".join(rules))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    attrs = {
        # name -> "pkg-config modules and extra -l flags, space separated"
        "libraries": attr.string_dict(mandatory = True),
    },
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
