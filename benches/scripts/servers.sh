# Sourced by the scripts beside it: starting a benchmark server on a free loopback
# port, and the three servers they compare.
BENCH_BIN=$HOME/.cache/telnetlib-bench/target/release
LG=$BENCH_BIN/loadgen

# start_server CMD... ({PORT} in CMD is replaced): sets $port and $pid once the
# server accepts connections.
start_server() {
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  local cmd=("${@//\{PORT\}/$port}")
  "${cmd[@]}" >/dev/null 2>&1 & pid=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
}

stop_server() {
  kill "$pid"; wait "$pid" 2>/dev/null
}

SERVE=("$PWD/target/release/examples/bench_server" --port {PORT} --mode serve)
POLL=("$PWD/target/release/examples/bench_server" --port {PORT} --mode poll)
TCP_ECHO=("$BENCH_BIN/rust_tcp_echo" {PORT})
