#!/bin/bash
# Run from the repository root after ../shared/bench/setup.sh and cargo build --release --examples.
# Context switches and CPU time per echoed line, server side (perf software events):
# one client, 100,000 lines, against each server in turn.
set -u
LG=$HOME/.cache/telnetlib-bench/target/release/loadgen
run() {
  name=$1; shift
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  cmd=("${@//\{PORT\}/$port}")
  "${cmd[@]}" >/dev/null 2>&1 & pid=$!
  for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  perf stat -e context-switches,task-clock -p $pid -o ${TMPDIR:-/tmp}/ctxsw-$name.txt &
  perfpid=$!
  $LG echo --port $port --clients 1 --lines 100000 2>&1 | grep RESULT | sed 's/^/  /'
  kill -INT $perfpid; wait $perfpid 2>/dev/null
  echo "== $name"; grep -E 'context-switches|task-clock' ${TMPDIR:-/tmp}/ctxsw-$name.txt
  kill $pid; wait $pid 2>/dev/null
}
run rust_tcp_echo $HOME/.cache/telnetlib-bench/target/release/rust_tcp_echo {PORT}
run telnetlib_serve $PWD/target/release/examples/bench_server --port {PORT} --mode serve
run telnetlib_poll $PWD/target/release/examples/bench_server --port {PORT} --mode poll
