"""A miniboa game loop for the client under test, in miniboa's default encoding
(cp1252: miniboa encodes IAC through the text codec, so only an encoding that maps
U+00FF to 0xFF keeps its negotiation intact).

Usage: miniboa_server.py HOST PORT

Prints LISTENING=1. On connect it asks for the terminal type and window size and
prompts "boa> "; each line is answered with "ECHO:<line>"; "info" answers with what
miniboa learned ("TERM=... COLS=... ROWS=..."); "quit" disconnects.
"""
import sys

from miniboa import TelnetServer

clients = []


def on_connect(client):
    clients.append(client)
    client.request_terminal_type()
    client.request_naws()
    client.send("Welcome to miniboa\nboa> ")


def on_disconnect(client):
    clients.remove(client)


server = TelnetServer(port=int(sys.argv[2]), address=sys.argv[1],
                      on_connect=on_connect, on_disconnect=on_disconnect, timeout=0.05)
print("LISTENING=1", flush=True)
while True:
    server.poll()
    for client in list(clients):
        if client.active and client.cmd_ready:
            line = client.get_command()
            if line == "quit":
                client.send("Bye\n")
                client.active = False
            elif line == "info":
                client.send("TERM=%s COLS=%s ROWS=%s\nboa> " % (
                    client.terminal_type, client.columns, client.rows))
            else:
                client.send("ECHO:%s\nboa> " % line)
