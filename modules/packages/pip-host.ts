// The probe program of packages.pip, run by python3 ON THE HOST (as Ansible's pip module runs
// there). It reads the task as JSON (argv[1]) and prints one record, `@pip` with `json:b64=`:
//   { env, venv, pip: [argv] | null, packages: ["name>=1"…], present: [bool…], listCmd, listed: {name: version},
//     report?: [{name, version}…] (what `pip install --dry-run --report` would install), reportErr?, error? }
// The package names are recovered and versioned exactly as ansible-core 2.14's pip.py does
// (_recover_package_name, Package(name, version), str of the Requirement), with the host's own
// setuptools (pkg_resources), which Ansible's module needs there too. The dry run is pip's own
// resolver, so a missing dependency, an upgrade (state latest) or a requirements file are
// predicted as pip will act; it writes nothing (--no-cache-dir).

export interface PipProbeOut {
  env: string | null;
  venv: boolean;
  pip: string[] | null;
  packages: string[];
  present: boolean[];
  listCmd?: string;
  listed: Record<string, string>;
  report?: { name: string; version: string }[];
  reportErr?: string;
  error?: string;
  vcs: boolean;
  /** What follows pip in the command: the state's words, shlex.split(extra_args) (with -e when editable), names or -r FILE. */
  tail?: string[];
  /** The command creating the missing virtualenv (shlex.split(virtualenv_command), options, env). */
  venvCmd?: string[];
}

export const PIP_PROBE_PY = String.raw`
import base64, json, os, re, shlex, subprocess, sys
s = json.loads(sys.argv[1])
out = {'env': None, 'venv': False, 'pip': None, 'packages': [], 'present': [], 'listed': {}, 'vcs': False}
def done():
    sys.stdout.write('@pip\njson:b64=%s\n' % base64.b64encode(json.dumps(out).encode()).decode()); sys.exit(0)
env = s.get('virtualenv'); chdir = s.get('chdir')
if env and chdir: env = os.path.join(chdir, env)
out['env'] = env
out['venv'] = bool(env) and os.path.exists(os.path.join(env, 'bin', 'activate'))
try:
    from pkg_resources import Requirement
except ImportError:
    out['error'] = 'Failed to import the required Python library (setuptools) on %s. Please read the module documentation and install it in the appropriate location.' % os.uname()[1]
    done()
OPS = ('>=', '<=', '>', '<', '==', '!=', '~=')
def is_name(n): return not n.lstrip().startswith(OPS)
def recover(names):
    tmp = []
    for line in names: tmp.extend(line.split(','))
    parts = []; pkgs = []; br = False
    for n in tmp:
        if is_name(n) and not br:
            if parts: pkgs.append(','.join(parts))
            parts = []
        if '[' in n: br = True
        if br and ']' in n: br = False
        parts.append(n)
    pkgs.append(','.join(parts))
    return pkgs
CANON = re.compile(r'[-_.]+')
def canon(n): return CANON.sub('-', n).lower()
class Package:
    def __init__(self, name, version=None):
        self.plain = False; self.name = name; self.req = None
        if version:
            version = version.lstrip()
            name = ('==' if version[0].isdigit() else ' ').join((name, version))
        try:
            self.req = Requirement.parse(name)
            self.name = canon(self.req.project_name); self.plain = True
        except ValueError: pass
    def has_spec(self): return self.plain and bool(self.req.specs)
    def satisfied(self, v):
        if not self.plain: return False
        try: return self.req.specifier.contains(v, prereleases=True)
        except AttributeError: return False
    def __str__(self): return str(self.req) if self.plain else self.name
names = s.get('name') or []
out['vcs'] = any(n and re.match(r'(svn|git|hg|bzr)\+', n) for n in names)
pk = []
if names:
    pk = [Package(p) for p in recover(names)]
    v = s.get('version')
    if v is not None:
        if len(pk) > 1:
            out['error'] = "'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument."; done()
        if pk[0].has_spec():
            out['error'] = "The 'version' argument conflicts with any version specifier provided along with a package name. Please keep the version specifier, but remove the 'version' argument."; done()
        pk[0] = Package(str(pk[0]), v)
    out['packages'] = [str(p) for p in pk]
extra = s.get('extra_args')
if s.get('editable'):
    words = extra.split(' ') if extra else []
    if '-e' not in words: words.append('-e'); extra = ' '.join(words)
try: xs = shlex.split(extra) if extra else []
except ValueError as e: out['error'] = 'extra_args: %s' % e; done()
STATES = {'present': ['install'], 'absent': ['uninstall', '-y'], 'latest': ['install', '-U'], 'forcereinstall': ['install', '-U', '--force-reinstall']}
out['tail'] = STATES[s['state']] + xs + (out['packages'] if names else ['-r', s['requirements']])
if env and not out['venv']:
    vc = s.get('virtualenv_command') or 'virtualenv'
    try: cmd = shlex.split(vc)
    except ValueError as e: out['error'] = 'virtualenv_command: %s' % e; done()
    if s.get('virtualenv_site_packages'): cmd.append('--system-site-packages')
    if not any(x in vc for x in ('pyvenv', '-m venv')):
        cmd.append('-p%s' % (s.get('virtualenv_python') or sys.executable))
    elif s.get('virtualenv_python'):
        out['error'] = 'virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command'; done()
    out['venvCmd'] = cmd + [env]
def which(n):
    for d in os.environ.get('PATH', '').split(os.pathsep) + ['/sbin', '/usr/sbin', '/usr/local/sbin']:
        c = os.path.join(d, n)
        if os.path.isfile(c) and os.access(c, os.X_OK): return c
    return None
ex = s.get('executable'); pip = None
if ex is not None:
    pip = [ex] if os.path.isabs(ex) else ([which(ex)] if which(ex) else None)
    if pip is None: out['error'] = 'Unable to find any of %s to use.  pip needs to be installed.' % ex; done()
elif env is None:
    import importlib.util
    try: found = bool(importlib.util.find_spec('pip'))
    except Exception: found = False
    if found: pip = [sys.executable, '-m', 'pip.__main__']
    elif which('pip3'): pip = [which('pip3')]
    else: out['error'] = 'Unable to find any of pip3 to use.  pip needs to be installed.'; done()
elif out['venv']:
    for b in ('pip3', 'pip'):
        c = os.path.join(env, 'bin', b)
        if os.path.exists(c) and os.access(c, os.X_OK): pip = [c]; break
    if pip is None: out['error'] = 'Unable to find pip in the virtualenv, %s, under any of these names: pip3, pip. Make sure pip is present in the virtualenv.' % env; done()
out['pip'] = pip
if pip is None: done()
cwd = chdir or '/tmp'
lenv = dict(os.environ, LANG='C.UTF-8', LC_ALL='C.UTF-8', LC_MESSAGES='C.UTF-8', PIP_DISABLE_PIP_VERSION_CHECK='1')
if env: lenv['PATH'] = os.path.join(env, 'bin') + os.pathsep + lenv.get('PATH', '')
cmd = pip + ['list', '--format=freeze']
r = subprocess.run(cmd, cwd=cwd, env=lenv, capture_output=True, text=True)
if r.returncode != 0:
    cmd = pip + ['freeze']; r = subprocess.run(cmd, cwd=cwd, env=lenv, capture_output=True, text=True)
out['listCmd'] = ' '.join(cmd)
for line in r.stdout.split('\n'):
    if '==' in line and not line.startswith('You '):
        n, ver = line.split('==', 1); out['listed'][canon(n)] = ver.strip()
out['present'] = [any(n == p.name and p.satisfied(ver) for n, ver in out['listed'].items()) for p in pk]
st = s['state']
if st != 'absent' and not out['vcs'] and not s.get('editable') and (names or s.get('requirements')):
    cmd = pip + ['install'] + (['-U'] if st in ('latest', 'forcereinstall') else []) + (['--force-reinstall'] if st == 'forcereinstall' else [])
    cmd += ['--dry-run', '--no-cache-dir', '--quiet', '--report', '-'] + out['tail'][len(STATES[st]):]
    r = subprocess.run(cmd, cwd=cwd, env=lenv, capture_output=True, text=True)
    if r.returncode == 0:
        try: out['report'] = [{'name': i['metadata']['name'], 'version': i['metadata']['version']} for i in json.loads(r.stdout).get('install', [])]
        except Exception as e: out['reportErr'] = 'unreadable pip report: %s' % e
    else: out['reportErr'] = (r.stderr or r.stdout).strip()[-2000:]
done()
`;
