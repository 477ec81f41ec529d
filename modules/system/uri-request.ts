// The request system.uri makes ON THE HOST, as Ansible's uri module does: a python3 program (the
// same urllib, redirect rules, cookie jar and body encodings as ansible-core 2.14's uri.py and
// module_utils/urls.py) that reads a JSON request on stdin and prints one JSON object:
//   { info: {…}, content: "text" | null, content_b64, json?, dest?, wrote?, error? }
// `info` is fetch_url's dict in Ansible's key order (url, status, the response headers lowercased,
// cookies_string, cookies, msg); system.uri turns it into the registered result (pure, in uri.ts).
// The password travels on stdin, never on the command line.

/** What system.uri sends on stdin. */
export interface UriRequest {
  url: string;
  method: string;
  body?: unknown;
  body_format: string;
  headers: Record<string, string>;
  status_code: number[];
  return_content: boolean;
  dest?: string;
  url_username?: string;
  url_password?: string;
  force_basic_auth: boolean;
  follow_redirects: string;
  timeout: number;
  validate_certs: boolean;
  http_agent: string;
  force: boolean;
  decompress: boolean;
  use_netrc: boolean;
  use_proxy: boolean;
  ca_path?: string;
  client_cert?: string;
  client_key?: string;
  unix_socket?: string;
  /** src: a file on the host (remote_src), or the controller file's bytes (base64). */
  src?: string;
  src_b64?: string;
  unredirected_headers: string[];
}

/** What the program prints. */
export interface UriResponse {
  info: Record<string, unknown>;
  /** The content as text when Ansible reads it (json-ish type, return_content, or a failing status). */
  content: string | null;
  json?: unknown;
  /** dest, when given: the file written (dest/<name> for a folder). */
  dest?: string;
  /** dest's content was replaced (its sha1 differed). */
  wrote?: boolean;
  elapsed: number;
  /** A failure before or after the request (bad body, unwritable dest). */
  error?: string;
}

export const URI_PY = String.raw`
import base64, datetime, gzip, hashlib, http.client, json, netrc, os, shutil, socket, ssl, sys, tempfile
import http.cookiejar as cj, urllib.request as ur, urllib.error as ue
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlparse, urlunparse, unquote
s = json.load(sys.stdin)
out = {'elapsed': 0}
def done(**kw):
    out.update(kw); sys.stdout.write(json.dumps(out)); sys.exit(0)
url = s['url']; method = s['method']; body = s.get('body'); fmt = s['body_format']; H = dict(s['headers'])
def form(b):
    if isinstance(b, str): return b
    if isinstance(b, (Mapping, Sequence)):
        res = []
        for k, vs in (list(b.items()) if isinstance(b, Mapping) else list(b)):
            if isinstance(vs, str) or not isinstance(vs, (Mapping, Sequence)): vs = [vs]
            for v in vs:
                if v is not None: res.append((str(k), str(v)))
        return urlencode(res, doseq=True)
    return b
lower = [h.lower() for h in H]
if fmt == 'json':
    if not isinstance(body, str): body = json.dumps(body)
    if 'content-type' not in lower: H['Content-Type'] = 'application/json'
elif fmt == 'form-urlencoded':
    try: body = form(body)
    except ValueError as e: done(info={}, content=None, error='failed to parse body as form_urlencoded: %s' % e)
    if 'content-type' not in lower: H['Content-Type'] = 'application/x-www-form-urlencoded'
dest = s.get('dest'); last = None
if dest is not None and os.path.isfile(dest): last = datetime.datetime.utcfromtimestamp(os.path.getmtime(dest))
fr = s['follow_redirects']
class RH(ur.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        if fr == 'urllib2': return ur.HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, hdrs, newurl)
        if fr in ('no', 'none'): raise ue.HTTPError(newurl, code, msg, hdrs, fp)
        m = req.get_method()
        if fr in ('all', 'yes'):
            if code < 300 or code >= 400: raise ue.HTTPError(req.get_full_url(), code, msg, hdrs, fp)
        elif code < 300 or code >= 400 or m not in ('GET', 'HEAD'): raise ue.HTTPError(req.get_full_url(), code, msg, hdrs, fp)
        data = req.data; newurl = newurl.replace(' ', '%20')
        if code in (307, 308): hd = req.headers
        else:
            data = None
            hd = dict((k, v) for k, v in req.headers.items() if k.lower() not in ('content-length', 'content-type', 'transfer-encoding'))
            if code in (302, 303) and m != 'HEAD': m = 'GET'
            if code == 301 and m == 'POST': m = 'GET'
        return ur.Request(newurl, data=data, headers=hd, origin_req_host=req.origin_req_host, unverifiable=True, method=m)
if s['validate_certs']: ctx = ssl.create_default_context(cafile=s.get('ca_path'))
else: ctx = ssl._create_unverified_context()
if s.get('client_cert'): ctx.load_cert_chain(s['client_cert'], keyfile=s.get('client_key'))
jar = cj.CookieJar()
us = s.get('unix_socket')
def unix(sock_self):
    # Ansible's UnixHTTPConnection.connect: the socket file, whatever host the URL names
    k = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); k.connect(us)
    if sock_self.timeout is not socket._GLOBAL_DEFAULT_TIMEOUT: k.settimeout(sock_self.timeout)
    return k
class UC(http.client.HTTPConnection):
    def connect(self): self.sock = unix(self)
class USC(http.client.HTTPSConnection):
    def connect(self): self.sock = self._context.wrap_socket(unix(self), server_hostname=self.host)
class UH(ur.HTTPHandler):
    def http_open(self, req): return self.do_open(UC, req)
class USH(ur.HTTPSHandler):
    def https_open(self, req): return self.do_open(USC, req, context=ctx)
handlers = [RH(), ur.HTTPCookieProcessor(jar)] + ([UH(), USH()] if us else [ur.HTTPSHandler(context=ctx)]) + ([] if s['use_proxy'] and not us else [ur.ProxyHandler({})])
p = urlparse(url); user = s.get('url_username'); pw = s.get('url_password')
if user: netloc = p.netloc
elif '@' in p.netloc:
    cred, netloc = p.netloc.split('@', 1)
    user, _, pw = cred.partition(':') if ':' in cred else (cred, '', None)
    url = urlunparse(p._replace(netloc=netloc))
def basic(u, w): return 'Basic %s' % base64.b64encode(('%s:%s' % (u, w)).encode()).decode()
if user and not s['force_basic_auth']:
    pm = ur.HTTPPasswordMgrWithDefaultRealm(); pm.add_password(None, netloc, user, pw)
    handlers += [ur.HTTPBasicAuthHandler(pm), ur.HTTPDigestAuthHandler(pm)]
elif user: H['Authorization'] = basic(user, pw)
elif s['use_netrc']:
    try: login = netrc.netrc(os.environ.get('NETRC')).authenticators(p.hostname)
    except Exception: login = None
    if login and login[0] and login[2]: H['Authorization'] = basic(login[0], login[2])
opener = ur.build_opener(*handlers)
data = body.encode() if isinstance(body, str) else body
if s.get('src_b64') is not None:
    data = base64.b64decode(s['src_b64']); H['Content-Length'] = len(data)
elif s.get('src') is not None:
    # Ansible's uri(): Content-Length from os.stat, the file's bytes as the body
    try:
        H['Content-Length'] = os.stat(s['src']).st_size
        with open(s['src'], 'rb') as f: data = f.read()
    except OSError: done(info={}, content=None, error='Unable to open source file %s' % s['src'])
req = ur.Request(url, data=data, method=method)
if s['http_agent']: req.add_header('User-agent', s['http_agent'])
if s['force']: req.add_header('cache-control', 'no-cache')
elif last:
    t = last.timetuple()
    req.add_header('If-Modified-Since', '%s, %02d %s %04d %02d:%02d:%02d GMT' % (['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][t[6]], t[2], ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][t[1] - 1], t[0], t[3], t[4], t[5]))
unred = [h.lower() for h in s['unredirected_headers']]
for k in H:
    if k.lower() in unred: req.add_unredirected_header(k, H[k])
    else: req.add_header(k, H[k])
info = {'url': s['url'], 'status': -1}
r = None; content = None; t0 = datetime.datetime.utcnow()
try:
    r = opener.open(req, None, s['timeout'])
    if s['decompress'] and r.headers.get('content-encoding', '').lower() == 'gzip':
        r.fp = gzip.GzipFile(fileobj=r.fp); r.length = None
    info.update(dict((k.lower(), v) for k, v in r.info().items()))
    th = {}
    for k, v in r.headers.items():
        k = k.lower(); th[k] = ', '.join((th[k], v)) if k in th else v
    info.update(th)
    info['cookies_string'] = '; '.join('%s=%s' % (c.name, c.value) for c in jar)
    info['cookies'] = dict((c.name, c.value) for c in jar)
    info.update(msg='OK (%s bytes)' % r.headers.get('Content-Length', 'unknown'), url=r.geturl(), status=r.code)
    content = r.read()
except ue.HTTPError as e:
    r = e
    try: b = e.read() if e.fp is not None else b''
    except Exception: b = b''
    try: info.update(dict((k.lower(), v) for k, v in e.info().items()))
    except Exception: pass
    info.update({'msg': str(e), 'status': e.code}); content = b
except ue.URLError as e: info.update(msg='Request failed: %s' % e, status=int(getattr(e, 'code', -1)))
except socket.error as e: info.update(msg='Connection failure: %s' % e, status=-1)
except http.client.BadStatusLine as e: info.update(msg='Connection failure: connection was closed before a valid response was received: %s' % e.line, status=-1)
except Exception as e: info.update(msg='An unknown error occurred: %s' % e, status=-1)
out['elapsed'] = (datetime.datetime.utcnow() - t0).seconds
if r is not None and r.headers is not None:
    ctype = (r.headers.get_content_type() or 'application/octet-stream').split(',')[0]
    charset = (r.headers.get_param('charset') or 'utf-8').split(',')[0]
else: ctype, charset = 'application/octet-stream', 'utf-8'
sub = ctype.split('/')[1] if '/' in ctype else ''
sub = sub.partition('+')[2] if '+' in sub else sub
maybe_json = bool(sub) and sub.lower() in ('json', 'javascript')
status = int(info['status'])
if not (maybe_json or s['return_content'] or status not in s['status_code']):
    if isinstance(r, ue.HTTPError): info['body'] = (content or b'').decode(charset, 'replace')
    text = None
else: text = (content or b'').decode(charset, 'replace')
out.update(info=info, content=text)
if maybe_json and text is not None:
    try: out['json'] = json.loads(text)
    except Exception: pass
if r is not None and dest is not None:
    if os.path.isdir(dest):
        name = os.path.basename(urlparse(r.geturl())[2].rstrip('/')) or None
        name = r.headers.get_param('filename', header='content-disposition') or (unquote(name) if name else None)
        dest = os.path.join(dest, name or 'index.html')
    out['dest'] = dest
    if status in s['status_code'] and status != 304:
        def sha1(path):
            if not os.path.isfile(path): return None
            h = hashlib.sha1()
            with open(path, 'rb') as f: h.update(f.read())
            return h.hexdigest()
        try:
            d = os.path.dirname(dest) or '.'
            fd, tmp = tempfile.mkstemp(dir=d, prefix='.keel-uri.')
            with os.fdopen(fd, 'wb') as f: f.write(content or b'')
            if sha1(tmp) != sha1(dest):
                if os.path.exists(dest):
                    st = os.stat(dest); os.chmod(tmp, st.st_mode & 0o7777); os.chown(tmp, st.st_uid, st.st_gid)
                else:
                    um = os.umask(0); os.umask(um); os.chmod(tmp, 0o666 & ~um)
                os.rename(tmp, dest); out['wrote'] = True
            else: os.remove(tmp)
        except Exception as e:
            done(error='failed to write %s: %s' % (dest, e))
done()
`;
