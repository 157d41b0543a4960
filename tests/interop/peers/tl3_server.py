"""telnetlib3's asyncio server with an echo shell that first reports what it
negotiated with the client under test.

Usage: tl3_server.py HOST PORT

Prints LISTENING=1 once it accepts connections. To each client it sends
"TERM=... COLS=... ROWS=... LANG=... CHARSET=... BINARY=..." lines, then
"echo> " prompts, answering each line with "ECHO:<line>" (the line as received).
"""
import asyncio
import sys

import telnetlib3
from telnetlib3 import telopt


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
        writer.write("ECHO:%s\r\n" % line.rstrip("\r\n"))
        if line.strip() == "quit":
            break
    writer.close()


async def main(host, port):
    server = await telnetlib3.create_server(host, int(port), shell=shell,
                                            connect_maxwait=10.0)
    print("LISTENING=1", flush=True)
    await server.wait_closed()


asyncio.run(main(sys.argv[1], sys.argv[2]))
