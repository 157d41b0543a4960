#!/bin/sh
# Prints the interoperability table of COMPAT.md from the last run of
# `cargo test -p telnetlib-cli --features interop --test interop`: each test (a cell of the matrix)
# writes one line to target/interop-results/<cell>.tsv (group, peer, role, result,
# notes). Notes that start with "client: " or "server: " are the negotiations the
# relay counted; they go to a second list.
set -eu
dir="${1:-$(dirname "$0")/../../../target/interop-results}"
ls "$dir"/*.tsv >/dev/null 2>&1 || { echo "no results in $dir: run the interop tests first" >&2; exit 1; }
stamp=$(date -u -r "$(ls -t "$dir"/*.tsv | head -n 1)" '+%Y-%m-%d %H:%M UTC')
echo "Last run: $stamp ($(ls "$dir"/*.tsv | wc -l) cells)."
echo
echo "| # | direction | peer | result | what was checked (and seen) |"
echo "|---|---|---|---|---|"
for f in "$dir"/*.tsv; do
    id=$(basename "$f" .tsv)
    awk -F'\t' -v id="$id" '{
        n = split($5, parts, "; ")
        facts = ""
        for (i = 1; i <= n; i++) {
            if (parts[i] ~ /^(client|server): /) continue
            facts = facts (facts == "" ? "" : "; ") parts[i]
        }
        gsub(/\|/, "\\|", facts)
        printf "| %s | %s | %s | **%s** | %s |\n", id, $1, $2, $4, facts
    }' "$f"
done
echo
echo "Negotiations each side sent, as counted by the relay (no WILL/WONT/DO/DONT more"
echo "than twice and no subnegotiation more than 9 times, or the cell fails):"
echo
for f in "$dir"/*.tsv; do
    id=$(basename "$f" .tsv)
    awk -F'\t' -v id="$id" '{
        n = split($5, parts, "; ")
        line = ""
        for (i = 1; i <= n; i++)
            if (parts[i] ~ /^(client|server): /) line = line (line == "" ? "" : " — ") parts[i]
        if (line != "") printf "- %s: %s\n", id, line
    }' "$f"
done
