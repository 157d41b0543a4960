#!/usr/bin/env bash
# telnetlib3's client_wargame shell as a program: it shows what the server says (on
# standard error, the terminal) and answers the first question with "y".
#   telnetlib-client --exec examples/wargame_client.sh 127.0.0.1 6023
# Under --exec the program reads the server's text on standard input and what it
# prints is sent to the server. The session ends when it exits.
answered=""
while IFS= read -r -n 1 -d '' key; do
    printf '%s' "$key" >&2
    if [ "$key" = "?" ] && [ -z "$answered" ]; then
        printf 'y\n'
        answered=yes
    fi
done
