#!/bin/sh
# Fails when COMPAT.md's interoperability table does not hold the verdicts of the
# last run: the cell, its section, its peer and its result, row by row, as
# results.sh prints them from target/interop-results/. The notes (facts seen, which
# name ports and timings) are not compared. Run after the interop tests; to update the
# table, splice results.sh's output into COMPAT.md between "Last run: " and
# "### Bugs these tests found".
set -eu
here=$(dirname "$0")
compat="$here/../../../COMPAT.md"
verdicts() {
    # "| id | section | peer | **result** | notes |" → the first four columns.
    grep '^| [0-9][0-9a-z]*-' | awk -F' [|] ' '{ print $1 " | " $2 " | " $3 " | " $4 }'
}
run=$(mktemp)
committed=$(mktemp)
trap 'rm -f "$run" "$committed"' EXIT
sh "$here/results.sh" | verdicts > "$run"
sed -n '/^Last run: /,/^### Bugs these tests found/p' "$compat" | verdicts > "$committed"
if ! diff -u "$committed" "$run"; then
    echo "COMPAT.md's interop table differs from this run's verdicts (- committed, + run):" >&2
    echo "regenerate it with cli/tests/interop/results.sh" >&2
    exit 1
fi
echo "COMPAT.md's interop table holds this run's $(wc -l < "$run") verdicts"
