#!/usr/bin/env bash
# Installs what finetune needs from the system: Debian's OpenBLAS (libopenblas-dev), SQLite
# (libsqlite3-dev, for the server's store), pkg-config, Python with venv (the end-to-end tests) and
# rsvg-convert (librsvg2-bin: PNG copies of the SVG charts `eval` and `report` draw).
# Called by `make build` and `make test`; does nothing when everything is already there.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists openblas 2>/dev/null; then missing+=(libopenblas-dev); fi
if ! pkg-config --exists sqlite3 2>/dev/null; then missing+=(libsqlite3-dev); fi
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
if ! command -v python3 >/dev/null 2>&1; then missing+=(python3 python3-pip python3-venv)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
