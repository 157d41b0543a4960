#!/bin/sh
# The "login program" busybox and inetutils telnetd run in the interop tests (no
# login): it shows what telnetd told it about the client, then echoes lines; the
# line "size" shows the window size again (telnetd applies NAWS as it arrives), and
# "bye" ends the session.
echo "TERM=$TERM"
echo "DISPLAY=$DISPLAY"
echo "INTEROP=$INTEROP"
printf 'nologin> '
while IFS= read -r line; do
    case "$line" in
        size) echo "SIZE=$(stty size)" ;;
        bye) exit 0 ;;
        *) echo "GOT=$line" ;;
    esac
    printf 'nologin> '
done
