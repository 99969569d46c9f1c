"""A bare HTTP/2 client over a socket, for tests that must do what well-behaved clients never do: hold
bodies open, send 1-byte DATA frames, withhold flow-control window, and watch every frame the server sends.

HPACK is written as literal fields without indexing or Huffman coding (always valid), and read only as far
as the tests need (the server's frames are counted, not decoded)."""

import socket
import struct

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
CANCEL_ERROR = 0x8


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def _literal(data):
    assert len(data) < 127
    return bytes([len(data)]) + data


def headers_block(fields):
    return b"".join(b"\x00" + _literal(name.encode()) + _literal(value.encode()) for name, value in fields)


class H2Connection:
    """One client connection; `windows` tracks what the server granted (connection under key 0)."""

    def __init__(self, port, settings=(), timeout=10, grant_window=True):
        self.grant_window = grant_window
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        payload = b"".join(struct.pack(">HI", key, value) for key, value in settings)
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, payload))
        self.buffer = b""
        self.next_stream = 1
        self.windows = {0: 65535}
        self.initial_window = 65535
        self.resets = {}       # stream -> error code
        self.ended = set()     # streams the server ended (END_STREAM)
        self.received = {}     # stream -> DATA bytes received
        self.goaway = None
        self.closed = False
        self.ping()  # the server's SETTINGS (and its initial window) are in before this returns

    def close(self):
        self.sock.close()

    def request(self, method, path, end_stream=False, extra=()):
        stream = self.next_stream
        self.next_stream += 2
        block = headers_block([(":method", method), (":path", path), (":scheme", "http"),
                               (":authority", "localhost"), *extra])
        self.sock.sendall(frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream, block))
        self.windows[stream] = self.initial_window
        return stream

    def send_data(self, stream, data, end_stream=False):
        self.sock.sendall(frame(DATA, END_STREAM if end_stream else 0, stream, data))
        self.windows[stream] -= len(data)
        self.windows[0] -= len(data)

    def sendable(self, stream):
        return max(0, min(self.windows[0], self.windows[stream]))

    def ping(self, opaque=b"barrier!"):
        """Sends PING and reads until its ACK: the server answers frames in order, so everything it sent in
        response to what came before the PING has been read when this returns."""
        self.sock.sendall(frame(PING, 0, 0, opaque))
        while True:
            kind, flags, _, payload = self.read_frame()
            if kind == PING and flags & ACK and payload == opaque:
                return

    def read_frame(self):
        while len(self.buffer) < 9 or len(self.buffer) < 9 + int.from_bytes(self.buffer[:3], "big"):
            data = self.sock.recv(1 << 20)
            if not data:
                self.closed = True
                raise ConnectionError("the server closed the connection")
            self.buffer += data
        length = int.from_bytes(self.buffer[:3], "big")
        kind, flags = self.buffer[3], self.buffer[4]
        stream = struct.unpack(">I", self.buffer[5:9])[0] & 0x7FFFFFFF
        payload = self.buffer[9:9 + length]
        self.buffer = self.buffer[9 + length:]
        self._account(kind, flags, stream, payload)
        return kind, flags, stream, payload

    def _account(self, kind, flags, stream, payload):
        if kind == SETTINGS and not flags & ACK:
            for offset in range(0, len(payload), 6):
                key, value = struct.unpack(">HI", payload[offset:offset + 6])
                if key == SETTINGS_INITIAL_WINDOW_SIZE:
                    self.initial_window = value
            self.sock.sendall(frame(SETTINGS, ACK, 0))
        elif kind == WINDOW_UPDATE:
            self.windows[stream] = self.windows.get(stream, 0) + (struct.unpack(">I", payload)[0] & 0x7FFFFFFF)
        elif kind == RST_STREAM:
            self.resets[stream] = struct.unpack(">I", payload)[0]
        elif kind == GOAWAY:
            self.goaway = struct.unpack(">I", payload[4:8])[0]
        elif kind == DATA:
            self.received[stream] = self.received.get(stream, 0) + len(payload)
            if payload and self.grant_window:  # read at once, so give the window back, as clients do
                increment = struct.pack(">I", len(payload))
                self.sock.sendall(frame(WINDOW_UPDATE, 0, 0, increment) + frame(WINDOW_UPDATE, 0, stream, increment))
        if kind in (DATA, HEADERS) and flags & END_STREAM:
            self.ended.add(stream)

    def read_until(self, predicate):
        """Reads frames until `predicate()` holds (the socket's timeout bounds the wait)."""
        while not predicate():
            self.read_frame()

    def fill_windows(self, streams, chunk=16384):
        """Sends body bytes on `streams` while the server grants window (PING barriers between rounds);
        returns how many bytes were sent in all."""
        total = 0
        while True:
            sent = 0
            for stream in streams:
                while self.sendable(stream) > 0:
                    size = min(chunk, self.sendable(stream))
                    self.send_data(stream, b"z" * size)
                    sent += size
            total += sent
            self.ping()
            if sent == 0 and all(self.sendable(s) == 0 for s in streams):
                return total
