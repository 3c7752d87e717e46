# shellcheck shell=bash
# Sourced by scripts/test: runs the test run as named stages and ends it with one line per
# stage (passed or FAILED, what it counted, seconds), so a failure is found without scrolling.
#
#   stage NAME COMMAND...      run COMMAND, its output shown and kept in $stages_dir/N.log; a
#                              failure is recorded and the run goes on to the next stage
#   stage_required NAME CMD... the same, but a failure ends the run (set-up the rest rests on)
#   stages_summary             print the table (also written to $stages_dir/summary.tsv) and
#                              return non-zero when any stage failed (call it as
#                              `stages_summary || exit 1`)
#
# What a stage counted is read from its output: cargo's `test result:` lines (tests passed,
# failed, ignored), `berth conform`'s verdict line, and a `... N passed, M failed` line.

stages_dir=${BERTH_STAGES_DIR:-target/test-stages}
rm -rf "$stages_dir" && mkdir -p "$stages_dir"
: >"$stages_dir/summary.tsv"
stages_failed=0
stages_count=0

# What a stage's output counted, in a few words (empty when it printed nothing countable).
stage_counts() {
  local log=$1
  awk '
    /^test result: / {
      for (i = 1; i <= NF; i++) {
        if ($(i) ~ /^passed;?$/) passed += $(i - 1)
        if ($(i) ~ /^failed;?$/) failed += $(i - 1)
        if ($(i) ~ /^ignored;?$/) ignored += $(i - 1)
      }
      suites++
    }
    /^[0-9]+ disagreement\(s\)/ { disagree += $1; conform++ }
    /^[0-9]+ finding\(s\)/ { disagree += $1; conform++ }
    /engine .*: [0-9]+ cases, [0-9]+ steps/ { for (i = 1; i <= NF; i++) if ($(i) ~ /^steps/) steps += $(i - 1) }
    / [0-9]+ passed, [0-9]+ failed/ && !/^test result/ {
      for (i = 1; i <= NF; i++) {
        if ($(i) ~ /^passed,?$/) xp += $(i - 1)
        if ($(i) ~ /^failed,?$/) xf += $(i - 1)
      }
    }
    END {
      out = ""
      if (suites) out = sprintf("%d tests passed, %d failed, %d ignored", passed, failed, ignored)
      if (conform) out = out (out ? "; " : "") sprintf("%d steps, %d disagreement(s)", steps, disagree)
      if (xp + xf) out = out (out ? "; " : "") sprintf("%d passed, %d failed", xp, xf)
      print out
    }' "$log"
}

stage_run() {
  local required=$1 name=$2 log start status seconds counts
  shift 2
  stages_count=$((stages_count + 1))
  log=$stages_dir/$stages_count.log
  printf '\n== %s\n' "$name"
  start=$EPOCHREALTIME
  # The command's own failure is recorded, not left to `set -e`: the run goes on. Inside, the
  # command keeps `set -e` and the ERR trap (strict.sh), so a stage made of several commands
  # stops at its first failure and says where.
  set +e
  trap - ERR
  (berth_err_trap && set -e && "$@") 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  berth_err_trap
  set -e
  seconds=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.0f", e - s }')
  counts=$(stage_counts "$log")
  if [[ $status == 0 ]]; then
    printf '%s\tpassed\t%s\t%s\n' "$name" "$seconds" "$counts" >>"$stages_dir/summary.tsv"
  else
    stages_failed=$((stages_failed + 1))
    printf '%s\tFAILED (exit %s)\t%s\t%s\n' "$name" "$status" "$seconds" "$counts" \
      >>"$stages_dir/summary.tsv"
    echo "== stage failed: $name (exit $status); its output is in $log"
    if [[ $required == 1 ]]; then
      echo "== the stages after it need it: stopping here"
      stages_summary || true
      exit 1
    fi
  fi
}

stage() { stage_run 0 "$@"; }
stage_required() { stage_run 1 "$@"; }

stages_summary() {
  local name result seconds counts total=0
  printf '\n== summary: %d stage(s), %d failed\n' "$stages_count" "$stages_failed"
  while IFS=$'\t' read -r name result seconds counts; do
    printf '%-9s %5ss  %s%s\n' "${result%% *}" "$seconds" "$name" "${counts:+  ($counts)}"
    total=$((total + seconds))
  done <"$stages_dir/summary.tsv"
  printf 'total     %5ss\n' "$total"
  return $((stages_failed > 0))
}
