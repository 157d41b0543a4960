#!/bin/bash
# Run from the repository root after ../shared/bench/setup.sh and cargo build --release --examples.
# 10,000 idle connections held, one server at a time: KiB of RSS per connection.
set -u
ulimit -n 20000
LG=$HOME/.cache/telnetlib-bench/target/release/loadgen
run() {
  name=$1; shift
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  cmd=("${@//\{PORT\}/$port}")
  "${cmd[@]}" >/dev/null 2>&1 & pid=$!
  for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  echo "== $name"
  $LG idle --port $port --conns 10000 --hold 5 --pid $pid --first-byte-timeout-ms 120000 2>&1 | grep -E 'RESULT|open|KiB' | tail -3
  kill $pid; wait $pid 2>/dev/null
}
run rust_tcp_echo $HOME/.cache/telnetlib-bench/target/release/rust_tcp_echo {PORT}
run telnetlib_poll $PWD/target/release/examples/bench_server --port {PORT} --mode poll
