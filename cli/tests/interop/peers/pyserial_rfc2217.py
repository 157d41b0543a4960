"""pyserial's rfc2217:// client against a terminal server, as a Python harness uses it.

Usage: pyserial_rfc2217.py PORT. Opens rfc2217://127.0.0.1:PORT at 115200 8N1 (pyserial
negotiates COM-PORT-OPTION and waits for the server's answer to every setting), sends
"ping" and a 0xFF, reads up to "pong", toggles DTR and RTS, sends a BREAK, purges, and
prints KEY=VALUE facts.
"""

import sys

import serial

port = serial.serial_for_url(
    "rfc2217://127.0.0.1:%s?timeout=10" % sys.argv[1], baudrate=115200, timeout=10
)
print("BAUD=%d" % port.baudrate)
print("FRAMING=%d%s%s" % (port.bytesize, port.parity, port.stopbits))
port.write(b"ping\xff\r\n")
port.flush()
print("READ=%s" % port.read_until(b"pong").hex())
port.dtr = True
port.rts = False
port.send_break(0.01)
port.reset_input_buffer()
port.baudrate = 9600
print("BAUD_AFTER=%d" % port.baudrate)
port.close()
print("DONE=1")
