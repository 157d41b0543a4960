#!/bin/bash
# Run from the repository root after ../shared/bench/setup.sh and cargo build --release --examples.
# Where the server's CPU goes while echoing for 100 clients: perf's software cpu-clock
# sampler (this VM has no hardware counters) on the server process, 20,000 lines per
# client, then the top symbols by self time, for serve and poll mode in turn.
set -u
source "$(dirname "$0")/servers.sh"
profile() {
  name=$1; shift
  start_server "$@"
  out="${TMPDIR:-/tmp}/perf-$name.data"
  perf record -e cpu-clock -F 4999 -g -p "$pid" -o "$out" 2>/dev/null &
  perfpid=$!
  sleep 0.5
  $LG echo --port "$port" --clients 100 --lines 2000 2>&1 | grep RESULT | sed 's/^/  /'
  kill -INT $perfpid; wait $perfpid 2>/dev/null
  stop_server
  echo "== $name: self time by symbol (top 25)"
  perf report -i "$out" --no-children --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25
  echo "== $name: self time by kernel/user"
  perf report -i "$out" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -6
}
profile telnetlib_serve "${SERVE[@]}"
profile telnetlib_poll "${POLL[@]}"
profile rust_tcp_echo "${TCP_ECHO[@]}"
