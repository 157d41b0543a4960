"""CPython's telnetlib.Telnet.read_until over the stream of benches/loopback.rs's
`legacy_read_until` (1 MiB of text lines, then END), served from a thread.

Usage: python3 benches/python/telnetlib_read_until.py [RUNS]   (default 3)
Prints each run's time and the median, in seconds and MB/s.
"""

import socket
import statistics
import sys
import threading
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import telnetlib

MIB = 1 << 20
LINE = b"The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n"


def stream():
    repeated = LINE * (MIB // len(LINE) + 1)
    return repeated[:MIB] + b"END"


def serve(listener, payload, runs):
    for _ in range(runs):
        conn, _ = listener.accept()
        conn.sendall(payload)
        conn.close()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    payload = stream()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener, payload, runs), daemon=True).start()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        tn = telnetlib.Telnet("127.0.0.1", port)
        data = tn.read_until(b"END")
        times.append(time.perf_counter() - started)
        assert len(data) == MIB + 3, len(data)
        tn.close()
        print("run: %.3f s" % times[-1])
    median = statistics.median(times)
    print("median: %.3f s, %.2f MB/s" % (median, MIB / median / 1e6))


main()
