"""telnetlib3's blocking client (telnetlib3.sync.TelnetConnection), bytes API
(encoding=False), against the server under test.

Usage: tl3_sync_client.py HOST PORT

Same conversation as tl3_client.py.
"""
import sys

from telnetlib3.sync import TelnetConnection
from telnetlib3 import telopt

conn = TelnetConnection(sys.argv[1], int(sys.argv[2]), timeout=50, encoding=False,
                        term="vt220-sync", cols=100, rows=30,
                        connect_minwait=0.0, connect_maxwait=10.0)
conn.connect()
greeting = conn.read_until(b"prompt> ")
print("GREETING=" + greeting.hex(), flush=True)
conn.write("h\u00e9llo w\u00f6rld \u2713\r\n".encode("utf8"))
conn.write(b"bin:\xff\x01\xff|\r\n")
back = conn.read_until(b"#END#")
print("BACK=" + back.hex(), flush=True)
print("LOCAL_BINARY=%s" % conn.writer.local_option.enabled(telopt.BINARY))
print("REMOTE_BINARY=%s" % conn.writer.remote_option.enabled(telopt.BINARY))
print("REMOTE_ECHO=%s" % conn.writer.remote_option.enabled(telopt.ECHO))
print("DONE=1", flush=True)
conn.close()
