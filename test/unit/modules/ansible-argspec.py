# Prints {module: {"source": ..., "args": {arg: [aliases]}}} for each named Ansible module (FQCN): the
# union of its documented options (ansible-doc -j, doc fragments included) and the argument_spec its
# code hands AnsibleModule (captured by replacing AnsibleModule.__init__, so main() stops there and
# nothing runs). Action-plugin-only modules (debug, template…) have their documentation only.
# Used by ansible-argspec.test.ts; needs ansible-core (Debian's ansible-core + ansible on CI).
import json, sys, subprocess, importlib, os
names = sys.argv[1:]
doc = json.loads(subprocess.run(["ansible-doc", "-j", *names], capture_output=True, text=True, check=True).stdout)
import ansible.module_utils.basic as basic
class Captured(Exception):
    pass
def capture(self, argument_spec=None, *a, **kw):
    raise Captured(argument_spec or {})
basic.AnsibleModule.__init__ = capture
out = {}
for n in names:
    args = {}
    for k, v in ((doc.get(n) or {}).get("doc", {}).get("options") or {}).items():
        args[k] = sorted(v.get("aliases") or [])
    ns, coll, short = n.split(".")
    modpath = "ansible.modules." + short if ns == "ansible" and coll == "builtin" else f"ansible_collections.{ns}.{coll}.plugins.modules.{short}"
    src = "doc"
    try:
        m = importlib.import_module(modpath)
        try:
            m.main()
        except Captured as c:
            src = "argument_spec"
            for k, v in c.args[0].items():
                al = sorted(set(args.get(k, [])) | set(v.get("aliases") or []))
                args[k] = al
        except BaseException:
            pass
    except ImportError:
        pass
    out[n] = {"source": src, "args": args}
print(json.dumps(out, indent=1, sort_keys=True))
