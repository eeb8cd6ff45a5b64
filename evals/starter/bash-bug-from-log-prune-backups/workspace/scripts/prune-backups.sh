#!/usr/bin/env bash
# prune-backups.sh DIR KEEP
# Deletes all but the KEEP newest *.tar.gz backups in DIR and prints what it removed.
set -euo pipefail

dir=${1:?usage: prune-backups.sh DIR KEEP}
keep=${2:?usage: prune-backups.sh DIR KEEP}

if ! [[ $keep =~ ^[0-9]+$ ]] || (( keep < 1 )); then
    echo "prune-backups: KEEP must be a positive number" >&2
    exit 2
fi

removed=0
for file in $(ls -t "$dir"/*.tar.gz | tail -n +$((keep + 1))); do
    rm -- "$file"
    echo "removed $file"
    removed=$((removed + 1))
done
echo "prune-backups: kept $keep, removed $removed"
