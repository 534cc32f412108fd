#!/usr/bin/env bash
# Records a tour of every emulator method and checks it against the official protos.
# Usage: tests/contract/run.sh [RECORD.jsonl]   (a given record file is checked as is)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${CONTRACT_VENV:-/tmp/ycprov-contract-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r tests/contract/requirements.txt
fi
record="${1:-}"
if [ -z "$record" ]; then
    record="$(mktemp -d)/tour.jsonl"
    cargo run --quiet -p yc-emulator --example tour -- "$record"
fi
"$venv/bin/python" tests/contract/check.py "$record"
