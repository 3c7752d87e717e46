# shellcheck shell=bash
# Sourced by scripts that need a fresh `berth daemon` of their own (bollard, perf, run-ratio):
#
#   berth_daemon_start BIN DIR REGISTRY   starts BIN daemon on DIR/berth.sock with its root in
#                                         DIR/root, pulling through REGISTRY (host:port) as a
#                                         mirror; waits until it answers _ping. Sets
#                                         berth_daemon_pid and berth_daemon_socket.
#   berth_daemon_stop                     SIGTERM (the daemon stops its containers), SIGKILL
#                                         after 20 s; a no-op when none was started.
#
# The caller defines `die`. The daemon's log is DIR/daemon.log.

berth_daemon_pid=''
berth_daemon_socket=''

berth_daemon_start() {
  local bin=$1 dir=$2 registry=$3
  berth_daemon_socket=$dir/berth.sock
  "$bin" daemon -H "unix://$berth_daemon_socket" --root "$dir/root" \
    --registry-mirror "http://$registry" --insecure-registry "$registry" \
    >"$dir/daemon.log" 2>&1 &
  berth_daemon_pid=$!
  for _ in $(seq 1 300); do
    [[ $(curl -s --max-time 2 --unix-socket "$berth_daemon_socket" http://d/_ping 2>/dev/null) == OK ]] &&
      return 0
    kill -0 "$berth_daemon_pid" 2>/dev/null || die "berth daemon exited: $(tail -n 5 "$dir/daemon.log")"
    sleep 0.1
  done
  die "berth daemon did not answer on $berth_daemon_socket within 30 s"
}

berth_daemon_stop() {
  [[ -n $berth_daemon_pid ]] || return 0
  kill -TERM "$berth_daemon_pid" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$berth_daemon_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$berth_daemon_pid" 2>/dev/null || true
  wait "$berth_daemon_pid" 2>/dev/null || true
  berth_daemon_pid=''
}
