"""Request size limits of the daemon's HTTP server (collector/httpd.c): a
body over 64 KiB gets 413 (at once when Content-Length announces it, after
the upload when it comes chunked), a body of exactly 64 KiB does not; a huge
header, too many headers or a huge URL are refused by libmicrohttpd with 431
or 414; after each the daemon still serves and still stores readings."""

import json
import socket
import time

import harness

LIMIT = 64 * 1024


def exchange(port, data, timeout=10.0):
    """Sends raw bytes, reads the answer until the server closes; returns
    (status, headers dict with lower-case names, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body


def post(path, body, extra=b""):
    return (b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n%s\r\n"
            % (path.encode(), len(body), extra) + body)


def chunked(path, body, size=8192):
    out = b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n" \
        % path.encode()
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


class TestHttpLimits(harness.TestCase):
    def still_serves(self, broker, influx, ll, n):
        """The process lives, answers, and stores reading number n."""
        self.assertTrue(ll.alive())
        self.assertEqual(harness.http("GET", ll.url + "/api/v1/devices")[0], 200)
        harness.publish(broker.port, "lifeline/x/drainage/dr-1",
                        json.dumps({"ts": harness.now_ms(), "water_level": 1.0}))
        self.wait_count(influx, "drainage", "water_level", n)

    def test_limits(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        port = ll.http_port
        ack = "/api/v1/alerts/1/ack"
        n = 0

        # exactly the limit: the handler gets it (no token: 401)
        status, _, _ = exchange(port, post(ack, b"x" * LIMIT))
        self.assertEqual(status, 401)
        n += 1
        self.still_serves(broker, influx, ll, n)

        # one byte over, announced: 413 with the usual headers
        status, h, body = exchange(port, post(ack, b"x" * (LIMIT + 1)))
        self.assertEqual((status, body), (413, b"request body too large\n"))
        self.assertEqual(h["content-security-policy"],
                         "default-src 'self'; script-src 'self'; style-src 'self'")
        n += 1
        self.still_serves(broker, influx, ll, n)

        # 1 GiB announced and never sent: refused at once, not waited for
        t0 = time.monotonic()
        status, _, body = exchange(port, b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                   b"1073741824\r\n\r\n" % ack.encode())
        self.assertEqual((status, body), (413, b"request body too large\n"))
        self.assertLess(time.monotonic() - t0, 5)

        # over the limit in chunks (no Content-Length): 413 once it has arrived
        status, _, body = exchange(port, chunked(ack, b"y" * (4 * LIMIT)))
        self.assertEqual((status, body), (413, b"request body too large\n"))
        # under it in chunks: the handler gets it
        self.assertEqual(exchange(port, chunked(ack, b"{}"))[0], 401)
        n += 1
        self.still_serves(broker, influx, ll, n)

        # a huge header, very many headers, a huge URL
        status, _, _ = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                                + b"a" * (100 * 1024) + b"\r\n\r\n")
        self.assertEqual(status, 431)
        status, _, _ = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 100)
                                           for i in range(2000)) + b"\r\n")
        self.assertEqual(status, 431)
        status, _, _ = exchange(port, b"GET /api/v1/devices/" + b"a" * (100 * 1024)
                                + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status, 414)
        n += 1
        self.still_serves(broker, influx, ll, n)

        # the server's own limit on a connection's memory, just under it: served
        status, _, body = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close"
                                   b"\r\nX-Big: " + b"a" * (16 * 1024) + b"\r\n\r\n")
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    harness.main()
