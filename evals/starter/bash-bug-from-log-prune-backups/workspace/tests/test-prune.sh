#!/usr/bin/env bash
# Runs prune-backups.sh on scratch folders and checks what is left.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

make_backup() { touch -d "$2" "$1"; }

mkdir "$scratch/simple"
make_backup "$scratch/simple/db-1.tar.gz" "2024-06-01 03:00"
make_backup "$scratch/simple/db-2.tar.gz" "2024-06-02 03:00"
make_backup "$scratch/simple/db-3.tar.gz" "2024-06-03 03:00"
make_backup "$scratch/simple/notes.txt" "2024-01-01 00:00"
"$here/../scripts/prune-backups.sh" "$scratch/simple" 2 >/dev/null
left=$(cd "$scratch/simple" && ls | tr '\n' ' ')
[[ $left == "db-2.tar.gz db-3.tar.gz notes.txt " ]] || { echo "FAIL simple: left $left"; exit 1; }

mkdir "$scratch/few"
make_backup "$scratch/few/db-1.tar.gz" "2024-06-01 03:00"
"$here/../scripts/prune-backups.sh" "$scratch/few" 3 >/dev/null
[[ -f "$scratch/few/db-1.tar.gz" ]] || { echo "FAIL few: removed a backup"; exit 1; }

if "$here/../scripts/prune-backups.sh" "$scratch/few" 0 2>/dev/null; then echo "FAIL keep=0 accepted"; exit 1; fi
echo "all prune tests passed"
