"""telnetlib3's asyncio server with an echo shell that first reports what it
negotiated with the client under test.

Usage: tl3_server.py HOST PORT [--compression] [--certfile PEM --keyfile PEM]

Prints LISTENING=1 once it accepts connections. To each client it sends
"TERM=... COLS=... ROWS=... LANG=... CHARSET=... BINARY=..." lines, then
"echo> " prompts, answering each line with "ECHO:<line>" (the line as received).

--compression is `create_server(compression=True)` (it offers MCCP2 and MCCP3);
--certfile and --keyfile serve TELNETS with an `ssl.SSLContext` loading them. With
either, two more commands answer instead of an echo: "mccp" prints the server's
MCCP and TLS state as KEY=VALUE lines, and "big N" sends N numbered UTF-8 lines
(see `big_text`) followed by "#BIG-END#".
"""
import argparse
import asyncio
import ssl

import telnetlib3
from telnetlib3 import telopt


def big_text(lines):
    """What "big N" sends: the tests build the same text to compare."""
    return "".join("%06d h\u00e9llo w\u00f6rld \u2713 quick brown fox\r\n" % i
                   for i in range(lines))


def mccp_report(writer):
    """The server's view of compression and TLS."""
    protocol = writer.protocol
    return "".join("%s=%s\r\n" % fact for fact in (
        ("MCCP2", writer.local_option.enabled(telopt.MCCP2_COMPRESS)),
        ("MCCP3", writer.local_option.enabled(telopt.MCCP3_COMPRESS)),
        ("MCCP2_COMPRESSING", protocol._mccp2_compressor is not None),
        ("MCCP3_INFLATING", protocol._mccp3_decompressor is not None),
        ("TLS", writer.get_extra_info("ssl_object") is not None),
    ))


def make_shell(extras):
    async def shell(reader, writer):
        info = writer.get_extra_info
        for key in ("TERM", "cols", "rows", "LANG", "charset", "USER", "INTEROP"):
            writer.write("%s=%s\r\n" % (key, info(key)))
        writer.write("BINARY=%s/%s\r\n" % (writer.local_option.enabled(telopt.BINARY),
                                          writer.remote_option.enabled(telopt.BINARY)))
        writer.write("ECHO=%s\r\n" % writer.local_option.enabled(telopt.ECHO))
        while True:
            writer.write("echo> ")
            line = await reader.readline()
            if not line:
                break
            words = line.split()
            if extras and words == ["mccp"]:
                writer.write(mccp_report(writer))
            elif extras and len(words) == 2 and words[0] == "big":
                writer.write(big_text(int(words[1])) + "#BIG-END#\r\n")
                await writer.drain()
            else:
                writer.write("ECHO:%s\r\n" % line.rstrip("\r\n"))
            if line.strip() == "quit":
                break
        writer.close()
    return shell


async def main(args):
    context = None
    if args.certfile:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.certfile, keyfile=args.keyfile)
    extras = args.compression or context is not None
    server = await telnetlib3.create_server(
        args.host, int(args.port), shell=make_shell(extras), connect_maxwait=10.0,
        compression=True if args.compression else None, ssl=context)
    print("LISTENING=1", flush=True)
    await server.wait_closed()


parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("port")
parser.add_argument("--compression", action="store_true")
parser.add_argument("--certfile")
parser.add_argument("--keyfile")
asyncio.run(main(parser.parse_args()))
