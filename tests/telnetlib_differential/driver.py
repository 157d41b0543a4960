"""Plays the client side of one differential scenario with CPython's telnetlib.

Usage: python3 driver.py SCENARIOS_FILE SCENARIO_NAME PORT

Prints one line per client step (what the call returned, or the exception it raised)
and, at the end, what the option callback saw. tests/all/telnetlib_differential.rs runs
the same steps with telnetlib::Telnet and compares the two transcripts line by line.
The escaping of bytes (`show`) must stay identical to the Rust side's.
"""

import ast
import re
import sys
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import telnetlib

DEADLINE = 10.0


def show(data):
    return "".join(
        chr(b) if 32 <= b < 127 and b != 92 else "\\x%02x" % b for b in data
    )


def load(path, name):
    """The scenario's settings and client steps: a list of (word, args) pairs."""
    settings, steps, current = {}, [], None
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            word, _, rest = line.partition(" ")
            if word == "scenario":
                current = rest.strip()
                continue
            if current != name:
                continue
            if word == "C":
                call, _, args = rest.partition(" ")
                steps.append((call, args.strip()))
            elif word == "timeout":
                settings["timeout"] = float(rest)
    return settings, steps


def literal(text):
    return ast.literal_eval(text)


def split_timeout(args):
    """`b"x" 0.3` -> (b"x", 0.3); `b"x"` -> (b"x", None)."""
    match = re.fullmatch(r"(.*?)(?:\s+([0-9.]+))?", args)
    timeout = float(match.group(2)) if match.group(2) else None
    return match.group(1), timeout


def main():
    path, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings, steps = load(path, name)
    tn = telnetlib.Telnet("127.0.0.1", port, settings.get("timeout", DEADLINE))
    seen = []

    def callback(sock, cmd, opt):
        seen.append("cmd %d %d" % (cmd[0], opt[0]))
        if cmd == telnetlib.SE:
            seen.append("sb " + show(tn.read_sb_data()))

    for call, args in steps:
        try:
            if call == "read_until":
                expected, timeout = split_timeout(args)
                result = show(tn.read_until(literal(expected), timeout))
            elif call in ("read_all", "read_some", "read_very_eager", "read_eager",
                          "read_lazy", "read_very_lazy", "read_sb_data"):
                result = show(getattr(tn, call)())
            elif call == "expect":
                patterns, timeout = split_timeout(args)
                compiled = [re.compile(literal(p)) for p in patterns.split(" | ")]
                index, match, text = tn.expect(compiled, timeout)
                result = "%d %s" % (index, show(text))
                if match is not None:
                    for group in match.groups():
                        result += " " + ("None" if group is None else show(group))
            elif call == "write":
                tn.write(literal(args))
                result = "ok"
            elif call == "callback":
                tn.set_option_negotiation_callback(callback if args == "on" else None)
                result = "ok"
            elif call == "wait_readable":
                deadline = time.monotonic() + DEADLINE
                while not tn.sock_avail():
                    if time.monotonic() > deadline:
                        raise SystemExit("wait_readable: nothing arrived")
                result = "ok"
            elif call == "close":
                tn.close()
                result = "ok"
            else:
                raise SystemExit("unknown step " + call)
        except EOFError:
            result = "EOFError"
        except TimeoutError:
            result = "TimeoutError"
        print("%s -> %s" % (call, result))
    for record in seen:
        print("callback " + record)
    tn.close()


main()
