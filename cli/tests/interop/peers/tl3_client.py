"""telnetlib3's asyncio client against the server under test.

Usage: tl3_client.py HOST PORT [--cafile PEM]

The conversation (the Rust test plays the server): read until "prompt> ", send a
UTF-8 line, send raw bytes with 0xFF ending in "|", read until "#END#", print what
was seen as KEY=VALUE lines, close. Compression is left at its default (passive:
it accepts the server's MCCP2 and MCCP3 offers); the MCCP_* and TLS lines report it.

--cafile connects with TLS (TELNETS): `open_connection(ssl=context)` with an
`ssl.SSLContext` trusting only that certificate, checking the host name HOST.
"""
import argparse
import asyncio
import ssl

import telnetlib3
from telnetlib3 import telopt


async def main(args):
    context = None
    if args.cafile:
        context = ssl.create_default_context(cafile=args.cafile)
    reader, writer = await telnetlib3.open_connection(
        args.host, int(args.port), term="xterm-tl3", cols=132, rows=43, encoding="utf8",
        connect_minwait=0.0, connect_maxwait=10.0,
        client_factory=telnetlib3.TelnetClient, ssl=context)
    greeting = await asyncio.wait_for(reader.readuntil(b"prompt> "), 50)
    print("GREETING=" + greeting.hex(), flush=True)
    writer.write("h\u00e9llo w\u00f6rld \u2713\r\n")
    # Raw bytes through the unicode writer: _write doubles IAC.
    writer._write(b"bin:\xff\x01\xff|\r\n")
    back = await asyncio.wait_for(reader.readuntil(b"#END#"), 50)
    print("BACK=" + back.hex(), flush=True)
    print("LOCAL_BINARY=%s" % writer.local_option.enabled(telopt.BINARY))
    print("REMOTE_BINARY=%s" % writer.remote_option.enabled(telopt.BINARY))
    print("REMOTE_ECHO=%s" % writer.remote_option.enabled(telopt.ECHO))
    print("CHARSET=%s" % writer.get_extra_info("charset"))
    protocol = writer.protocol
    print("MCCP2=%s" % writer.remote_option.enabled(telopt.MCCP2_COMPRESS))
    print("MCCP3=%s" % writer.remote_option.enabled(telopt.MCCP3_COMPRESS))
    print("MCCP2_INFLATING=%s" % (protocol._mccp2_decompressor is not None))
    print("MCCP3_COMPRESSING=%s" % (protocol._mccp3_compressor is not None))
    print("TLS=%s" % (writer.get_extra_info("ssl_object") is not None))
    print("DONE=1", flush=True)
    writer.close()


parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("port")
parser.add_argument("--cafile")
asyncio.run(main(parser.parse_args()))
