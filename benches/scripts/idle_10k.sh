#!/bin/bash
# Run from the repository root after ../shared/bench/setup.sh and cargo build --release --examples.
# 10,000 idle connections held, one server at a time: KiB of RSS per connection.
set -u
ulimit -n 20000
source "$(dirname "$0")/servers.sh"
run() {
  name=$1; shift
  start_server "$@"
  echo "== $name"
  $LG idle --port "$port" --conns 10000 --hold 5 --pid "$pid" --first-byte-timeout-ms 120000 2>&1 | grep -E 'RESULT|open|KiB' | tail -3
  stop_server
}
run rust_tcp_echo "${TCP_ECHO[@]}"
run telnetlib_poll "${POLL[@]}"
