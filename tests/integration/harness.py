"""Integration test harness: real mosquitto, influxd, victoria-metrics and the
real `lifeline run` daemon, each on free loopback ports in a private temporary
directory. Standard library only.

Every test file is a small standalone script:

    import harness
    class Test(harness.TestCase):
        def test_something(self):
            broker = self.mosquitto()
            influx = self.influx()
            influx.create_db("lifeline")
            ll = self.lifeline(broker, influx)
            harness.publish(broker.port, "lifeline/d/water_supply/p1", ['{"flow": 1}'])
            ...
    if __name__ == "__main__":
        harness.main()

The temporary directory of a test is removed when the test passes; when it
fails its path is printed with the tail of every process's log, and it is kept.
Nothing waits a fixed time: wait_until() polls a condition with a deadline.

Run one file by hand from a build directory:
    LIFELINE_BIN=build/lifeline python3 tests/integration/test_malformed.py
LIFELINE_KEEP_TMP=1 keeps (and prints) every test's directory, passed or not.
"""

import atexit
import base64
import copy
import json
import os
import shutil
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

SOURCE_DIR = os.environ.get(
    "LIFELINE_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

DB = "lifeline"
CLIENT_ID = "lifeline-test"
TOPIC_FILTER = "lifeline/#"

# Generous for a 2-core machine shared with builds; a healthy run is far faster.
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


# ---------------------------------------------------------------- utilities

_port_rng = random.Random(os.getpid() ^ time.time_ns())
# Ports handed out by this process, and the directory where every test
# process on this machine claims the ports it hands out (one file per port,
# made with O_EXCL, holding the owner's pid). Two tests run side by side
# (ctest -j2) would otherwise both find a port free before either binds it.
_ports_mine = set()
PORT_CLAIMS = os.path.join(tempfile.gettempdir(), "lifeline-test-ports")


def _claim(port):
    """True if this process now owns the claim on port (made now, taken over
    from a process that no longer exists, or already ours)."""
    if port in _ports_mine:
        return False
    os.makedirs(PORT_CLAIMS, exist_ok=True)
    path = os.path.join(PORT_CLAIMS, str(port))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                with open(path) as f:
                    owner = int(f.read().strip() or "0")
            except (OSError, ValueError):
                owner = 0
            if owner > 0:
                try:
                    os.kill(owner, 0)
                    return False  # a live test process holds it
                except ProcessLookupError:
                    pass
                except PermissionError:
                    return False
            elif time.time() - _mtime(path) < 5.0:
                return False  # being written right now
            try:
                os.unlink(path)  # its owner is gone
            except FileNotFoundError:
                pass
            continue
        with os.fdopen(fd, "w") as f:
            f.write("%d\n" % os.getpid())
        _ports_mine.add(port)
        return True
    return False


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


@atexit.register
def _release_ports():
    for port in _ports_mine:
        try:
            os.unlink(os.path.join(PORT_CLAIMS, str(port)))
        except OSError:
            pass


def free_port():
    """A loopback TCP port nobody listens on right now, claimed for this
    process so that no other test process is handed it.

    Chosen below the kernel's ephemeral range (32768 and up by default), so
    that no outgoing connection of a client (curl, Paho, mosquitto_pub) can
    take it between this check and the service binding it, which a port from
    bind(0) is exposed to. A program outside the tests can still take it in
    that window: Service.start() then starts the service again on new ports
    (ADDRESS_IN_USE)."""
    for _ in range(400):
        port = _port_rng.randrange(20000, 32000)
        if port in _ports_mine:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if _claim(port):
            return port
    raise AssertionError("no free loopback port found in 20000-32000")


# What mosquitto, influxd, victoria-metrics and lifeline (libmicrohttpd) log
# when a port they must listen on is taken, in lower case.
ADDRESS_IN_USE = ("address already in use", "failed to bind to port")


def now_ms():
    return time.time_ns() // 1_000_000


class GiveUp(AssertionError):
    """Raised by a wait_until predicate that knows the wait is hopeless
    (a process exited): wait_until passes it on at once."""


def wait_until(predicate, timeout, what, interval=0.05):
    """Polls predicate() every `interval` s until it returns a truthy value,
    which is returned. Fails the test after `timeout` s, naming `what` and the
    last value or exception seen."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = repr(value)
        except GiveUp:
            raise
        except Exception as e:  # a service still starting refuses connections
            last = "%s: %s" % (type(e).__name__, e)
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s (last: %s)"
                                 % (timeout, what, last))
        time.sleep(interval)


def wait_settled(fetch, enough, timeout, what, quiet=0.2, interval=0.05):
    """wait_until for a database answer that grows: polls fetch() until
    enough(answer) holds and the answer has stayed the same for `quiet` s;
    returns it. InfluxDB 1.x applies a write field by field (its cache is
    keyed by series and field), so a query that runs during a write can see
    a point with only some of its fields; the next answer then differs."""
    state = {"value": None, "since": None}

    def check():
        value = fetch()
        now = time.monotonic()
        if state["since"] is None or value != state["value"]:
            state["value"], state["since"] = value, now
        return (value,) if enough(value) and now - state["since"] >= quiet else None

    return wait_until(check, timeout, what, interval)[0]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def http(method, url, body=None, headers=None, timeout=10.0):
    """Returns (status, body bytes, headers dict); HTTP errors are returned,
    not raised; connection errors are raised."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return "(no log: %s)" % e
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def influxql_ident(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def influxql_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def deep_merge(base, overrides):
    """Returns base updated recursively with overrides; a value of None
    deletes the key."""
    out = copy.deepcopy(base)
    for k, v in overrides.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def lifeline_bin():
    path = os.environ.get("LIFELINE_BIN")
    if not path:
        for cand in ("build/lifeline", "build/collector/lifeline"):
            p = os.path.join(SOURCE_DIR, cand)
            if os.access(p, os.X_OK):
                path = p
                break
    if not path or not os.access(path, os.X_OK):
        raise AssertionError("LIFELINE_BIN (%r) is not an executable; build lifeline first "
                             "(ctest sets LIFELINE_BIN)"
                             % path)
    return path


# ---------------------------------------------------------------- certificates

class Certs:
    """A private certificate authority and certificates it signed, made with
    the openssl command line in <tmp>/certs (EC P-256 keys: fast). Each
    certificate is a (cert, key) pair of PEM paths:
      server      CN localhost, SAN DNS:localhost and IP:127.0.0.1, serverAuth
      wrong_host  CN and SAN DNS:wrong.example, serverAuth: signed by the same
                  CA, so only a host name check refuses it
      client      CN lifeline-client, clientAuth
    broker_tls() gives the tls option of Mosquitto for one of the server pairs."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "certs")
        os.makedirs(self.dir, exist_ok=True)
        self.serial = 1
        self.ca = os.path.join(self.dir, "ca.pem")
        self.ca_key = os.path.join(self.dir, "ca.key")
        cnf = self.write("ca.cnf", "[req]\ndistinguished_name = dn\nprompt = no\n"
                         "[dn]\nCN = lifeline test ca\n"
                         "[v3]\nbasicConstraints = critical,CA:TRUE\n"
                         "keyUsage = critical,keyCertSign,cRLSign\n"
                         "subjectKeyIdentifier = hash\n")
        self.openssl("req", "-x509", "-new", "-config", cnf, "-extensions", "v3",
                     *self.new_key(self.ca_key), "-days", "2", "-out", self.ca)
        self.server = self.issue("server", "localhost", "DNS:localhost,IP:127.0.0.1",
                                 "serverAuth")
        self.wrong_host = self.issue("wrong-host", "wrong.example", "DNS:wrong.example",
                                     "serverAuth")
        self.client = self.issue("client", "lifeline-client", None, "clientAuth")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @staticmethod
    def new_key(path):
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", path]

    @staticmethod
    def openssl(*args):
        r = subprocess.run(["openssl"] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("openssl %s exited %d: %s"
                                 % (args[0], r.returncode, r.stderr.decode("utf-8", "replace")))

    def issue(self, name, cn, san, usage):
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + ".pem")
        cnf = self.write(name + ".cnf", "[req]\ndistinguished_name = dn\nprompt = no\n"
                         "[dn]\nCN = %s\n" % cn)
        ext = ("[v3]\nbasicConstraints = critical,CA:FALSE\n"
               "keyUsage = critical,digitalSignature\n"
               "extendedKeyUsage = %s\n"
               "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n" % usage)
        if san:
            ext += "subjectAltName = %s\n" % san
        extfile = self.write(name + ".ext", ext)
        self.openssl("req", "-new", "-config", cnf, *self.new_key(key), "-out", csr)
        self.serial += 1
        self.openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                     "-set_serial", str(self.serial), "-days", "2",
                     "-extfile", extfile, "-extensions", "v3", "-out", cert)
        return cert, key

    def broker_tls(self, pair=None):
        cert, key = pair or self.server
        return {"cafile": self.ca, "certfile": cert, "keyfile": key}


# ---------------------------------------------------------------- processes

class Service:
    """One child process with its output in a log file inside the test's
    directory. Subclasses set self.name and implement command() and ready()."""

    def __init__(self, tmp, name):
        self.tmp = tmp
        self.name = name
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, name + ".log")
        self.proc = None
        self.env = None
        self.returncode = None
        self.started = False
        self.start_offset = 0

    def command(self):
        raise NotImplementedError

    def ready(self):
        raise NotImplementedError

    def start(self, timeout=START_TIMEOUT):
        """Starts the process and waits until ready(). When it exits because
        one of its ports was taken in the meantime (ADDRESS_IN_USE in its
        log), a first start moves it to new ports (new_ports()) and a restart,
        which must keep its ports, tries the same ones again."""
        assert not self.alive(), "%s already running" % self.name
        for attempt in range(1, 6):
            since = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
            try:
                self._start_once(timeout)
                self.started = True
                return self
            except AssertionError:
                if self.alive() or attempt == 5 or not self._address_in_use(since):
                    raise
            sys.stderr.write("harness: %s could not bind a port (attempt %d); %s\n"
                             % (self.name, attempt,
                                "trying again" if self.started else "moving it to new ports"))
            if self.started:
                time.sleep(0.5)
            else:
                self.new_ports()
        raise AssertionError("unreachable")

    def new_ports(self):
        """Picks new ports for a service that has never run (subclasses)."""
        raise NotImplementedError

    def _address_in_use(self, since):
        with open(self.log_path, "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", "replace").lower()
        return any(m in text for m in ADDRESS_IN_USE)

    def log_since_start(self):
        """What the process logged since it was last started."""
        with open(self.log_path, "rb") as f:
            f.seek(self.start_offset)
            return f.read().decode("utf-8", "replace")

    def _start_once(self, timeout):
        cmd = self.command()
        log = open(self.log_path, "ab")
        self.start_offset = log.tell()
        log.write(("---- %s start %s\n" % (self.name, " ".join(cmd))).encode())
        log.flush()
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=self.env,
                                         start_new_session=True)
        finally:
            log.close()
        self.returncode = None

        def up():
            if self.proc.poll() is not None:
                raise GiveUp("%s exited with %s during start-up; log:\n%s"
                                     % (self.name, self.proc.returncode, tail(self.log_path)))
            return self.ready()

        try:
            wait_until(up, timeout, "%s to be ready" % self.name)
        except AssertionError:
            if self.proc is not None and self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                self.proc = None
            raise

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; returns the exit status (negative: killed by that
        signal). Fails the test if the process does not exit in time (it is
        then killed)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("%s did not exit within %.1f s of SIGTERM" % (self.name, timeout))
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    def kill(self):
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    def restart(self):
        self.stop()
        return self.start()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Mosquitto(Service):
    """A private mosquitto broker. With persistence, the in-memory database
    (sessions, subscriptions, queued QoS 1 messages) is saved every second
    and on exit, and reloaded by restart() on the same port.

    By default its one listener is plain MQTT and lets anyone in. Options:
      tls                 {"cafile", "certfile", "keyfile"} (see Certs): the
                          listener speaks TLS only
      require_certificate with tls: a client must present a certificate
                          signed by tls["cafile"]
      users               {username: password}: a password file made with
                          mosquitto_passwd, and anonymous clients are refused
    client_args holds the mosquitto_pub/_sub options (CA file, the first
    user's credentials) a test client needs; a client certificate, when one
    is required, is the test's to add."""

    def __init__(self, tmp, persistence=True, name="mosquitto", tls=None,
                 require_certificate=False, users=None):
        super().__init__(tmp, name)
        self.port = free_port()
        self.persistence = persistence
        self.tls = tls
        self.users = users
        self.client_args = []
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        lines = ["listener %d 127.0.0.1" % self.port]
        if tls:
            lines += ["cafile %s" % tls["cafile"],
                      "certfile %s" % tls["certfile"],
                      "keyfile %s" % tls["keyfile"]]
            if require_certificate:
                lines.append("require_certificate true")
            self.client_args += ["--cafile", tls["cafile"]]
        else:
            assert not require_certificate, "require_certificate needs tls"
        self.passwd = os.path.join(self.dir, "passwd")
        if users:
            for i, (user, password) in enumerate(users.items()):
                self.passwd_tool(["-c"] if i == 0 else [], user, password)
            os.chmod(self.passwd, 0o600)
            lines += ["allow_anonymous false", "password_file %s" % self.passwd]
            user, password = next(iter(users.items()))
            self.client_args += ["-u", user, "-P", password]
        else:
            lines.append("allow_anonymous true")
        lines += [
            # 0 = unlimited: the default 1000 silently drops a backlog.
            "max_queued_messages 0",
            "max_inflight_messages 20",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "log_type subscribe",
            "log_timestamp true",
            "connection_messages true",
        ]
        if persistence:
            lines += ["persistence true",
                      "persistence_location %s/" % os.path.join(self.dir, "db"),
                      "autosave_interval 1"]
            os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        else:
            lines.append("persistence false")
        if os.geteuid() == 0:
            # mosquitto drops root privileges to "mosquitto", which could not
            # write the private 0700 persistence directory.
            lines.append("user root")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def command(self):
        return ["mosquitto", "-c", self.conf]

    def new_ports(self):
        old = "listener %d 127.0.0.1\n" % self.port
        self.port = free_port()
        with open(self.conf) as f:
            text = f.read()
        assert old in text
        with open(self.conf, "w") as f:
            f.write(text.replace(old, "listener %d 127.0.0.1\n" % self.port))

    def passwd_tool(self, options, user, password):
        r = subprocess.run(["mosquitto_passwd", "-b"] + options + [self.passwd, user, password],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("mosquitto_passwd exited %d: %s"
                                 % (r.returncode, r.stderr.decode("utf-8", "replace")))

    def set_password(self, user, password):
        """Adds or changes a user of a broker made with users, and makes the
        running broker reload its password file (SIGHUP; it takes effect
        shortly after this returns)."""
        assert self.users, "set_password needs a broker made with users"
        self.passwd_tool([], user, password)
        if self.alive():
            self.proc.send_signal(signal.SIGHUP)

    def ready(self):
        # the port alone could be a program that took it before this broker
        # found it taken and exited
        return " running\n" in self.log_since_start() and port_open(self.port)

    def count_in_log(self, text):
        return self.log_text().count(text)

    def connects(self, client_id=CLIENT_ID):
        """How many times client_id has connected (all runs of this broker)."""
        return self.count_in_log(" as %s (" % client_id)

    def subscriptions(self, client_id=CLIENT_ID, topic=TOPIC_FILTER):
        """How many SUBSCRIBE requests for topic the broker logged from client_id."""
        n = 0
        for line in self.log_text().splitlines():
            # "1764393387: lifeline-test 1 lifeline/#" (log_type subscribe)
            parts = line.split(" ")
            if len(parts) == 4 and parts[1] == client_id and parts[3] == topic:
                n += 1
        return n


class Influx(Service):
    """A private InfluxDB 1.x (`influxd`). stop()/start() keep ports and data."""

    def __init__(self, tmp, name="influxd"):
        super().__init__(tmp, name)
        self.conf = os.path.join(self.dir, "influxdb.conf")
        self.new_ports()

    def new_ports(self):
        self.port = free_port()
        self.rpc_port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        d = self.dir
        with open(self.conf, "w") as f:
            f.write("""reporting-enabled = false
bind-address = "127.0.0.1:%d"
[meta]
  dir = "%s/meta"
[data]
  dir = "%s/data"
  wal-dir = "%s/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  log-enabled = false
[continuous_queries]
  enabled = false
""" % (self.rpc_port, d, d, d, self.port))

    def command(self):
        return ["influxd", "-config", self.conf]

    def ready(self):
        status, _, _ = http("GET", self.url + "/ping", timeout=1.0)
        return status == 204

    def query(self, db, q, method=None):
        """Runs InfluxQL; returns the parsed JSON. Times are epoch ms."""
        params = {"q": q, "epoch": "ms"}
        if db:
            params["db"] = db
        if method is None:
            method = "POST" if q.lstrip().upper().startswith(("CREATE", "DROP")) else "GET"
        url = self.url + "/query?" + urllib.parse.urlencode(params)
        status, body, _ = http(method, url)
        if status != 200:
            raise AssertionError("influx query %r: HTTP %d %s" % (q, status, body[:300]))
        doc = json.loads(body)
        for r in doc.get("results", []):
            if "error" in r:
                raise AssertionError("influx query %r: %s" % (q, r["error"]))
        return doc

    def create_db(self, name=DB):
        self.query(None, "CREATE DATABASE %s" % influxql_ident(name))

    def write(self, db, lines, precision="ms"):
        """Writes line protocol (str or list of lines) directly; returns the status."""
        if isinstance(lines, (list, tuple)):
            lines = "\n".join(lines)
        url = self.url + "/write?" + urllib.parse.urlencode({"db": db, "precision": precision})
        status, body, _ = http("POST", url, lines.encode("utf-8"))
        return status

    def rows(self, db, q):
        """Flattens a query's series into a list of dicts (column -> value),
        with the series' own tags merged in; None values are left out."""
        out = []
        for r in self.query(db, q).get("results", []):
            for s in r.get("series", []) or []:
                cols = s["columns"]
                for v in s.get("values", []) or []:
                    row = dict(s.get("tags") or {})
                    row.update({c: x for c, x in zip(cols, v) if x is not None})
                    out.append(row)
        return out

    def points(self, db, measurement, where=None):
        """Every point of measurement, oldest first: dicts with "time" (epoch
        ms), each tag and each field present."""
        q = "SELECT * FROM %s" % influxql_ident(measurement)
        if where:
            q += " WHERE " + where
        return sorted(self.rows(db, q), key=lambda r: r["time"])

    def count(self, db, measurement, field):
        rows = self.rows(db, "SELECT count(%s) FROM %s" % (influxql_ident(field),
                                                          influxql_ident(measurement)))
        return rows[0]["count"] if rows else 0

    def field_types(self, db, measurement):
        """{field: "float"|"integer"|"string"|"boolean"}"""
        rows = self.rows(db, "SHOW FIELD KEYS FROM %s" % influxql_ident(measurement))
        return {r["fieldKey"]: r["fieldType"] for r in rows}

    def tag_keys(self, db, measurement):
        return sorted(r["tagKey"] for r in
                      self.rows(db, "SHOW TAG KEYS FROM %s" % influxql_ident(measurement)))

    def tag_values(self, db, measurement, key):
        return sorted(r["value"] for r in self.rows(db, "SHOW TAG VALUES FROM %s WITH KEY = %s"
                                                    % (influxql_ident(measurement),
                                                       influxql_ident(key))))

    def series(self, db):
        return sorted(r["key"] for r in self.rows(db, "SHOW SERIES"))

    def measurements(self, db):
        return sorted(r["name"] for r in self.rows(db, "SHOW MEASUREMENTS"))


class Victoria(Service):
    """A private VictoriaMetrics single node. It maps line protocol
    `m,tag=v field=1` to the metric `m_field` with labels from the tags."""

    def __init__(self, tmp, name="victoria"):
        super().__init__(tmp, name)
        self.new_ports()

    def new_ports(self):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port

    def command(self):
        return ["victoria-metrics", "-storageDataPath", os.path.join(self.dir, "data"),
                "-httpListenAddr", "127.0.0.1:%d" % self.port,
                # the default retention (1 month) would drop old test timestamps
                "-retentionPeriod", "100y", "-loggerLevel", "WARN"]

    def ready(self):
        status, _, _ = http("GET", self.url + "/health", timeout=1.0)
        return status == 200

    def flush(self):
        status, body, _ = http("GET", self.url + "/internal/force_flush")
        if status != 200:
            raise AssertionError("force_flush: HTTP %d %s" % (status, body[:200]))

    def write(self, lines, path="/write", params=None):
        if isinstance(lines, (list, tuple)):
            lines = "\n".join(lines)
        url = self.url + path + "?" + urllib.parse.urlencode(params or {"precision": "ms"})
        status, _, _ = http("POST", url, lines.encode("utf-8"))
        return status

    def export(self, match='{__name__=~".+"}'):
        """Flushes, then returns every series as (name, labels dict without
        __name__, values, timestamps ms), sorted by name and labels."""
        self.flush()
        url = self.url + "/api/v1/export?" + urllib.parse.urlencode({"match[]": match})
        status, body, _ = http("GET", url)
        if status != 200:
            raise AssertionError("export: HTTP %d %s" % (status, body[:200]))
        out = []
        for line in body.decode("utf-8").splitlines():
            if not line.strip():
                continue
            doc = json.loads(line)
            labels = dict(doc["metric"])
            name = labels.pop("__name__")
            pairs = sorted(zip(doc["timestamps"], doc["values"]))
            out.append((name, labels, [v for _, v in pairs], [t for t, _ in pairs]))
        return sorted(out, key=lambda s: (s[0], sorted(s[1].items())))


class Lifeline(Service):
    """The daemon under test: `lifeline run -c FILE` with a JSON config in the
    test's directory. Started by start(); ready when /healthz answers at all
    (200 or 503: the process is up)."""

    def __init__(self, tmp, mqtt_port, influx_url, overrides=None, name="lifeline"):
        super().__init__(tmp, name)
        self.http_port = free_port()
        self.url = "http://127.0.0.1:%d" % self.http_port
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.config = deep_merge({
            "data_dir": self.data_dir,
            "log": {"level": "info"},
            "mqtt": {"url": "tcp://127.0.0.1:%d" % mqtt_port, "client_id": CLIENT_ID,
                     "topics": [TOPIC_FILTER], "qos": 1},
            "influx": {"url": influx_url, "api": "v1", "database": DB,
                       "batch_age_ms": 200, "retry_min_ms": 100, "retry_max_ms": 1000},
            "http": {"listen": "127.0.0.1:%d" % self.http_port},
            "wal": {"fsync_ms": 20},
        }, overrides or {})
        self.conf = os.path.join(self.dir, "lifeline.json")
        self.write_config()
        self.env = dict(os.environ)

    def new_ports(self):
        self.http_port = free_port()
        self.url = "http://127.0.0.1:%d" % self.http_port
        self.config["http"]["listen"] = "127.0.0.1:%d" % self.http_port
        self.write_config()

    def write_config(self):
        with open(self.conf, "w", encoding="utf-8") as f:
            json.dump(self.config, f, indent=2, ensure_ascii=False)

    def command(self):
        return [lifeline_bin(), "run", "-c", self.conf]

    def ready(self):
        status, _ = self.healthz(timeout=1.0)
        return status in (200, 503)

    def healthz(self, timeout=5.0):
        """(status, parsed JSON body or raw text)"""
        status, body, _ = http("GET", self.url + "/healthz", timeout=timeout)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode("utf-8", "replace")

    def metrics(self):
        """GET /metrics as {sample: value}; a sample is the metric name with
        its labels sorted, e.g. 'lifeline_rejected_total{reason="malformed"}'."""
        status, body, _ = http("GET", self.url + "/metrics")
        if status != 200:
            raise AssertionError("/metrics: HTTP %d" % status)
        return parse_prometheus(body.decode("utf-8"))

    def metric(self, name, default=0.0, **labels):
        key = sample_key(name, labels)
        return self.metrics().get(key, default)

    def quarantine(self):
        """The records of <data_dir>/quarantine.jsonl (each line must be JSON)."""
        path = os.path.join(self.data_dir, "quarantine.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, "rb") as f:
            data = f.read()
        # a record being written may not have its newline yet
        lines = data.split(b"\n")[:-1]
        return [json.loads(line.decode("utf-8")) for line in lines if line.strip()]


def sample_key(name, labels):
    if not labels:
        return name
    return name + "{" + ",".join('%s="%s"' % (k, labels[k]) for k in sorted(labels)) + "}"


def parse_prometheus(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            lbl, value = rest.rsplit("}", 1)
            labels = {}
            i = 0
            while i < len(lbl):
                eq = lbl.index("=", i)
                k = lbl[i:eq].strip().lstrip(",").strip()
                j = eq + 2  # past ="
                v = []
                while lbl[j] != '"':
                    if lbl[j] == "\\":
                        j += 1
                        v.append({"n": "\n"}.get(lbl[j], lbl[j]))
                    else:
                        v.append(lbl[j])
                    j += 1
                labels[k] = "".join(v)
                i = j + 1
                while i < len(lbl) and lbl[i] in ", ":
                    i += 1
            key = sample_key(name, labels)
        else:
            key, value = line.split(None, 1)
        out[key] = float(value.split()[0])
    return out


# ---------------------------------------------------------------- publishing

def publish(port, topic, payloads, qos=1, timeout=60.0, args=()):
    """Publishes each payload (str or bytes) as one message with mosquitto_pub
    and checks its exit status. Many payloads go in one connection, one per
    stdin line (-l), so none may contain a newline. args are more
    mosquitto_pub options, e.g. a broker's client_args."""
    if isinstance(payloads, (str, bytes)):
        payloads = [payloads]
    payloads = [p.encode("utf-8") if isinstance(p, str) else p for p in payloads]
    base = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", str(qos), "-t",
            topic] + list(args)
    if len(payloads) == 1 and b"\n" not in payloads[0] and b"\0" not in payloads[0]:
        r = subprocess.run(base + ["-m", payloads[0]], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    elif len(payloads) == 1:
        return publish_raw(port, topic, payloads[0], qos, timeout, args)
    else:
        for p in payloads:
            if b"\n" in p or not p:
                raise ValueError("payload for -l must be one non-empty line: %r" % p)
        r = subprocess.run(base + ["-l"], input=b"\n".join(payloads) + b"\n",
                           capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("mosquitto_pub to %s exited %d: %s"
                             % (topic, r.returncode, r.stderr.decode("utf-8", "replace")))


def publish_raw(port, topic, payload, qos=1, timeout=30.0, args=()):
    """Publishes arbitrary bytes (newlines, NUL, invalid UTF-8) as one message."""
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(payload)
        path = f.name
    try:
        r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", str(qos),
                            "-t", topic, "-f", path] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        raise AssertionError("mosquitto_pub -f to %s exited %d: %s"
                             % (topic, r.returncode, r.stderr.decode("utf-8", "replace")))


def publish_together(port, messages, client_id="lifeline-test-pub", timeout=30.0):
    """Publishes [(topic, payload str or bytes), ...] at QoS 1 in ONE MQTT
    3.1.1 connection, back to back, and returns once the broker has
    acknowledged every one. For readings of many devices that must reach the
    daemon at (nearly) the same moment: one mosquitto_pub per topic, even run
    side by side, spreads them over seconds on a loaded machine."""

    def packet(kind, body):
        n, length = len(body), bytearray()
        while True:
            n, digit = n >> 7, n & 0x7F
            length.append(digit | (0x80 if n else 0))
            if not n:
                return bytes([kind]) + bytes(length) + body

    def string(text):
        data = text.encode("utf-8") if isinstance(text, str) else text
        return len(data).to_bytes(2, "big") + data

    def read_packet(sock):
        def exactly(n):
            data = b""
            while len(data) < n:
                chunk = sock.recv(n - len(data))
                if not chunk:
                    raise AssertionError("the broker closed the connection")
                data += chunk
            return data
        kind = exactly(1)[0]
        n, shift = 0, 0
        while True:
            b = exactly(1)[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        return kind, exactly(n)

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # protocol MQTT level 4, clean session, keep-alive 60 s
        sock.sendall(packet(0x10, string("MQTT") + bytes([4, 0x02, 0, 60]) + string(client_id)))
        kind, body = read_packet(sock)
        if kind != 0x20 or body[1:2] != b"\0":
            raise AssertionError("CONNACK refused: %r %r" % (kind, body))
        pending = set()
        out = b""
        for i, (topic, payload) in enumerate(messages, 1):
            if isinstance(payload, str):
                payload = payload.encode("utf-8")
            out += packet(0x32, string(topic) + i.to_bytes(2, "big") + payload)
            pending.add(i)
        sock.sendall(out)
        while pending:
            kind, body = read_packet(sock)
            if kind == 0x40:
                pending.discard(int.from_bytes(body[:2], "big"))
        sock.sendall(packet(0xE0, b""))


def subscribe(port, topic, count, timeout=30.0, args=()):
    """Receives `count` messages with mosquitto_sub; returns their payloads
    (one per line, so only for newline-free payloads). Starts a process and
    returns it with a collect() method."""
    proc = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", "1",
                             "-t", topic, "-C", str(count), "-W", str(int(timeout))]
                            + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def collect():
        out, err = proc.communicate(timeout=timeout + 5)
        if proc.returncode != 0:
            raise AssertionError("mosquitto_sub exited %d: %s" % (proc.returncode, err))
        return out.decode("utf-8").splitlines()

    proc.collect = collect
    return proc


def b64(data):
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- test case

class TestCase(unittest.TestCase):
    """Gives each test a temporary directory and factories for the services;
    every service started is stopped at the end of the test. On failure the
    directory is kept and its path and each log's tail are printed."""

    keep_tmp = bool(os.environ.get("LIFELINE_KEEP_TMP"))

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lifeline-%s-" % self._testMethodName)
        self.services = []

    def tearDown(self):
        for s in reversed(self.services):
            try:
                s.kill()
            except Exception as e:  # keep cleaning up the rest
                print("cleanup of %s: %s" % (s.name, e), file=sys.stderr)

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        super().run(result)
        failed = len(result.failures) + len(result.errors) > before
        tmp = getattr(self, "tmp", None)
        if tmp is None:
            return result
        if failed or self.keep_tmp:
            msg = ["", "==== %s: kept %s" % (self.id(), tmp)]
            for s in getattr(self, "services", []):
                msg.append("---- tail of %s" % s.log_path)
                msg.append(tail(s.log_path))
            q = os.path.join(tmp, "lifeline", "data", "quarantine.jsonl")
            if os.path.exists(q):
                msg.append("---- tail of %s" % q)
                msg.append(tail(q, 20))
            print("\n".join(msg), file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        return result

    # factories: each registers the service for clean-up and starts it
    def mosquitto(self, persistence=True, **options):
        """Starts a broker; options as for Mosquitto (tls, users, ...)."""
        s = Mosquitto(self.tmp, persistence, **options)
        self.services.append(s)
        return s.start()

    def influx(self, db=DB):
        s = Influx(self.tmp)
        self.services.append(s)
        s.start()
        if db:
            s.create_db(db)
        return s

    def victoria(self):
        s = Victoria(self.tmp)
        self.services.append(s)
        return s.start()

    def lifeline(self, broker, sink, overrides=None, start=True):
        """Configures the daemon for broker and sink (Influx or Victoria); with
        start, starts it and waits until it has subscribed at the broker, so
        that what is published next reaches it."""
        s = Lifeline(self.tmp, broker.port, sink.url, overrides)
        self.services.append(s)
        if start:
            self.start_lifeline(s, broker)
        return s

    def start_lifeline(self, ll, broker, subscribe=True):
        subs = broker.subscriptions()
        conns = broker.connects()
        ll.start()
        wait_until(lambda: broker.connects() > conns, START_TIMEOUT,
                   "lifeline to connect to the broker")
        if subscribe:
            wait_until(lambda: broker.subscriptions() > subs, START_TIMEOUT,
                       "lifeline to subscribe to %s" % TOPIC_FILTER)
        return ll

    # assertions shared by the area tests
    def wait_points(self, influx, measurement, n, timeout=20.0, db=DB):
        """Waits until measurement holds at least n points; asserts exactly n
        and returns them, oldest first."""
        last = [[]]

        def fetch():
            last[0] = influx.points(db, measurement)
            return last[0]

        try:
            wait_settled(fetch, lambda pts: len(pts) >= n, timeout,
                         "%d points in %s" % (n, measurement))
        except AssertionError as e:
            self.fail("%s; have %d: %r" % (e, len(last[0]), last[0][:5]))
        self.assertEqual(len(last[0]), n, "points in %s" % measurement)
        return last[0]

    def wait_count(self, influx, measurement, field, n, timeout=30.0, db=DB):
        """Waits until count(field) in measurement reaches n and the counts
        of all its fields have settled (no write half applied: see
        wait_settled); fails showing the last count."""
        last = [0]

        def counts():
            rows = influx.rows(db, "SELECT count(*) FROM %s" % influxql_ident(measurement))
            got = rows[0] if rows else {}
            last[0] = got.get("count_" + field, 0)
            return got

        try:
            wait_settled(counts, lambda c: c.get("count_" + field, 0) >= n, timeout,
                         "%d points in %s" % (n, measurement), interval=0.1)
        except AssertionError as e:
            self.fail("%s; have %d" % (e, last[0]))

    def wait_health(self, ll, status, timeout=15.0):
        """Waits until GET /healthz answers status; returns the parsed body."""
        seen = []

        def ok():
            seen[:] = [ll.healthz()]
            return seen[0][0] == status

        wait_until(ok, timeout, "/healthz to answer %d" % status)
        return seen[0][1]

    def wait_metric(self, ll, sample, value, timeout=10.0):
        """Waits until /metrics shows sample (e.g. 'x_total{reason="topic"}')
        with exactly value; counters are updated after the fact they count."""
        seen = []

        def ok():
            seen[:] = [ll.metrics().get(sample)]
            return seen[0] == value

        try:
            wait_until(ok, timeout, "%s == %s" % (sample, value))
        except AssertionError:
            self.fail("metric %s is %r, want %r" % (sample, seen[0] if seen else None, value))


def main():
    unittest.main(verbosity=2)
