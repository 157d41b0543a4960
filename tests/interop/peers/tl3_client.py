"""telnetlib3's asyncio client against the server under test.

Usage: tl3_client.py HOST PORT

The conversation (the Rust test plays the server): read until "prompt> ", send a
UTF-8 line, send raw bytes with 0xFF ending in "|", read until "#END#", print what
was seen as KEY=VALUE lines, close.
"""
import asyncio
import sys

import telnetlib3


async def main(host, port):
    reader, writer = await telnetlib3.open_connection(
        host, int(port), term="xterm-tl3", cols=132, rows=43, encoding="utf8",
        connect_minwait=0.0, connect_maxwait=10.0,
        client_factory=telnetlib3.TelnetClient)
    greeting = await asyncio.wait_for(reader.readuntil(b"prompt> "), 50)
    print("GREETING=" + greeting.hex(), flush=True)
    writer.write("h\u00e9llo w\u00f6rld \u2713\r\n")
    # Raw bytes through the unicode writer: _write doubles IAC.
    writer._write(b"bin:\xff\x01\xff|\r\n")
    back = await asyncio.wait_for(reader.readuntil(b"#END#"), 50)
    print("BACK=" + back.hex(), flush=True)
    print("LOCAL_BINARY=%s" % writer.local_option.enabled(telnetlib3.telopt.BINARY))
    print("REMOTE_BINARY=%s" % writer.remote_option.enabled(telnetlib3.telopt.BINARY))
    print("REMOTE_ECHO=%s" % writer.remote_option.enabled(telnetlib3.telopt.ECHO))
    print("CHARSET=%s" % writer.get_extra_info("charset"))
    print("DONE=1", flush=True)
    writer.close()


asyncio.run(main(sys.argv[1], sys.argv[2]))
