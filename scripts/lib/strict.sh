# shellcheck shell=bash
# Sourced first by every script under scripts/: strict mode that never ends a script silently.
#
# `set -euo pipefail` ends a script at the first failing command, and when that command is a
# command substitution or a pipeline whose stderr was discarded, nothing says why (a fresh
# machine once stopped the test run this way with exit 2 and no message). The ERR trap below
# names the script, the line and the command; `set -E` makes functions and substitutions inherit
# it, so a failure inside `x=$(...)` is named once inside and once where it was used. A failure
# the script handles itself (`cmd || ...`, `if cmd`) does not fire the trap.
set -Eeuo pipefail

# (Re)installs the trap; scripts/lib/stages.sh installs it again inside each stage's subshell.
berth_err_trap() {
  trap 'echo "scripts/${0##*/}: line $LINENO: \`$BASH_COMMAND\` failed (status $?)" >&2' ERR
}
berth_err_trap
