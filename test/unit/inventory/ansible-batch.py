# Runs one installed Ansible CLI script (/usr/bin/ansible-inventory, /usr/bin/ansible) many times
# in one Python process, for the tests that compare keel with live Ansible output.
#
#   /usr/bin/python3 ansible-batch.py SCRIPT MODULE < calls.json > results.json
#
# calls.json is a JSON list of argument lists; results.json the list of {"rc", "stdout"} in the
# same order. The CLI module the script imports (MODULE, e.g. ansible.cli.inventory) is imported
# once; each call then runs in a forked child that executes the script itself (runpy, as
# __main__, sys.argv = [SCRIPT, *args]) with stdin from /dev/null, stdout to a file and stderr
# discarded: the same code, environment and working directory as `SCRIPT ARGS`, without paying the
# interpreter start and the imports (most of a call's CPU time) once per call.
import importlib
import json
import os
import runpy
import sys
import tempfile

script, module = sys.argv[1], sys.argv[2]
calls = json.load(sys.stdin)
importlib.import_module(module)

results = []
for argv in calls:
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as out:
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, 0)
                os.dup2(out.fileno(), 1)
                os.dup2(null, 2)
                sys.argv = [script, *argv]
                try:
                    runpy.run_path(script, run_name="__main__")
                    code = 0
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                sys.stdout.flush()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        results.append({"rc": os.waitstatus_to_exitcode(status), "stdout": out.read().decode("utf-8")})

sys.stdout.write(json.dumps(results))
