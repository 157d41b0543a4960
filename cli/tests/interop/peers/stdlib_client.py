"""CPython's stdlib telnetlib (3.11) against the server under test: it refuses every
option (DONT/WONT), so this is plain NVT.

Usage: stdlib_client.py HOST PORT

Same conversation as tl3_client.py.
"""
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import telnetlib  # noqa: E402

tn = telnetlib.Telnet(sys.argv[1], int(sys.argv[2]), timeout=50)
greeting = tn.read_until(b"prompt> ", timeout=50)
print("GREETING=" + greeting.hex(), flush=True)
tn.write("h\u00e9llo w\u00f6rld \u2713\r\n".encode("utf8"))
tn.write(b"bin:\xff\x01\xff|\r\n")  # write() doubles IAC
back = tn.read_until(b"#END#", timeout=50)
print("BACK=" + back.hex(), flush=True)
print("DONE=1", flush=True)
tn.close()
