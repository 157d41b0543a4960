#!/bin/bash
# Run from the repository root after ../shared/bench/setup.sh and
# cargo build --release --examples.
#
# The game loop under clients that never read: 100 clients echo lines through
# `bench_server --mode poll --tick 5` while one client that never reads asks for
# 100 MB, and ten more that never read each ask for 3 MB (the loop queues all of it
# and calls deactivate() with it unsent), arriving mid-run. Compared with the same
# run without them. Prints the echo clients' lines/s and p99, and the server's longest
# loop iteration (poll() waits at most 5 ms, so a longer one is a stall) and longest
# deactivate() (bench_server --stats).
#
# A client that sends no Telnet negotiation is handed to the game loop after the
# server's connect_maxwait (4 s): the 100 MB client starts 4.5 s before the echo run,
# the 3 MB ones 2 s before it, so that they arrive while it runs.
#
#   benches/scripts/gameloop_nonreader.sh [SERVER_BINARY]
set -u
source "$(dirname "$0")/servers.sh"
bin=${1:-$PWD/target/release/examples/bench_server}
lines=${LINES:-4000}

# nonreader PORT BYTES SECONDS: asks for BYTES and reads nothing for SECONDS.
nonreader() {
  python3 - "$@" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"bulk %d\r\n" % int(sys.argv[2]))
time.sleep(float(sys.argv[3]))
PY
}

run() {
  local label=$1 with=$2
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  local log="${TMPDIR:-/tmp}/gameloop-$label.log"
  "$bin" --port "$port" --mode poll --tick 5 --stats 2>"$log" & pid=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  local others=()
  if [ "$with" = yes ]; then
    nonreader "$port" 100000000 30 & others+=($!)
    sleep 2.5
    for i in $(seq 10); do
      nonreader "$port" 3000000 30 & others+=($!)
    done
    sleep 2
  else
    sleep 4.5
  fi
  result=$($LG echo --port "$port" --clients 100 --lines "$lines" --max-secs 60 2>&1 | grep RESULT)
  sleep 1.2 # the server prints its figures once a second
  kill "$pid"; wait "$pid" 2>/dev/null
  for other in "${others[@]}"; do kill "$other" 2>/dev/null; wait "$other" 2>/dev/null; done
  local rate p99 stats
  rate=$(grep -o 'lines_per_s=[0-9.]*' <<<"$result" | cut -d= -f2)
  p99=$(grep -o 'p99_us=[0-9.]*' <<<"$result" | cut -d= -f2)
  stats=$(grep '^stats' "$log" | tail -n 1)
  echo "$label: lines/s ${rate:-none} p99 ${p99:-none} us; ${stats:-no stats}"
  echo "  $result"
}

run without no
run with yes
