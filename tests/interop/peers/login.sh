#!/bin/sh
# The "login program" busybox and inetutils telnetd run in the interop tests (no
# login): it shows what telnetd told it about the client, then echoes lines.
echo "TERM=$TERM"
echo "SIZE=$(stty size)"
echo "DISPLAY=$DISPLAY"
echo "INTEROP=$INTEROP"
printf 'nologin> '
while IFS= read -r line; do
    echo "GOT=$line"
    printf 'nologin> '
done
