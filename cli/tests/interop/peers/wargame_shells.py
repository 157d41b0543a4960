"""The "Would you like to play a game?" shells of telnetlib3's README, for
`telnetlib3-server --shell wargame_shells.server_shell` and
`telnetlib3-client --shell wargame_shells.client_shell` (PYTHONPATH = this folder).

server_shell is the README's, word for word. client_shell answers with a line
("y" and Enter) instead of a bare "y": the server it plays against,
`telnetlib-server --exec`, hands programs whole lines, as inetd-style servers do.
"""


async def server_shell(reader, writer):
    writer.write("\r\nWould you like to play a game? ")
    inp = await reader.read(1)
    if inp:
        writer.echo(inp)
        writer.write("\r\nThey say the only way to win is to not play at all.\r\n")
        await writer.drain()
    writer.close()


async def client_shell(reader, writer):
    answered = False
    while True:
        outp = await reader.read(1024)
        if not outp:
            break
        if "?" in outp and not answered:
            writer.write("y\r\n")
            answered = True
        print(outp, end="", flush=True)
    print()
