"""A minimal HTTP/1.1 keep-alive client for the benchmarks' tills.

The tills run on the same two cores as the server, so what the client spends per request is taken from the server:
http.client parses every response's headers with the email package, several times the work of this. It sends one
request at a time and reads a response framed by Content-Length, which is what gunicorn sends for the API's JSON.
"""
import socket


class ResponseError(OSError):
    """A response this client cannot read (no Content-Length, a malformed status line): the connection is dropped."""


class KeepAlive:
    def __init__(self, port, host="127.0.0.1", timeout=30):
        self.address, self.timeout, self.sock = (host, port), timeout, None

    def post(self, path, body, headers):
        """POST `body` (bytes) with `headers` (a dict); (status, response body bytes). Raises OSError when the
        connection fails; the next call then opens a new one."""
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.address[0]}\r\nContent-Length: {len(body)}\r\n{lines}\r\n"
                   .encode("latin-1") + body)
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.sendall(request)
            return self._response()
        except OSError:
            self.close()
            raise

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _response(self):
        data = b""
        while b"\r\n\r\n" not in data:
            data += self._recv()
        head, _, data = data.partition(b"\r\n\r\n")
        status_line, *fields = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise ResponseError(f"bad status line {status_line!r}")
        headers = {name.strip().lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)}
        if "content-length" not in headers:
            raise ResponseError("response without Content-Length")
        length = int(headers["content-length"])
        while len(data) < length:
            data += self._recv()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(parts[1]), data[:length]

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        return chunk
