#!/bin/sh
# The "Would you like to play a game?" shell of telnetlib3's README as a program:
#   telnetlib-server --exec examples/wargame.sh
# Under --exec the program reads the lines the client types (the server edits and
# echoes them) and what it prints goes to the client. examples/wargame.rs is the
# same shell as a Rust handler.
printf '\nWould you like to play a game? '
read -r answer || exit 0
printf 'They say the only way to win is to not play at all.\n'
