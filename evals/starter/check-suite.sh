#!/usr/bin/env bash
# Checks every task of the starter suite offline: its grader must FAIL on the untouched
# workspace and PASS after `rein run` plays the task's solution.json as a scripted model.
#
#   evals/starter/check-suite.sh                 # every task
#   evals/starter/check-suite.sh NAME [NAME...]  # only these tasks
#
# REIN overrides the command that runs rein (default: the Debug build of src/Rein.Cli, built if missing).
# VERBOSE=1 shows why each untouched workspace fails; KEEP=1 keeps the scratch folder for inspection. Needs python3 (with PyYAML if available).
set -uo pipefail

suite=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$suite/../.." && pwd)
if [[ -z "${REIN:-}" ]]; then
    dll="$repo/src/Rein.Cli/bin/Debug/net10.0/rein.dll"
    if [[ ! -f "$dll" ]]; then
        echo "building rein..." >&2
        dotnet build "$repo/src/Rein.Cli" -m:2 -v:q -nologo >&2 || exit 2
    fi
    REIN="dotnet $dll"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rein-suite.XXXXXX")
if [[ "${KEEP:-0}" != 1 ]]; then
    trap 'rm -rf "$scratch"' EXIT
else
    echo "scratch folder: $scratch" >&2
fi

# Sessions, memory and checkpoints go to the scratch folder, not the user's store.
export REIN_STORE="$scratch/rein.db"
export REIN_CONFIG_DIR="$scratch/config"
export REIN_MODE=workspace-write
unset REIN_MODEL REIN_AGENT REIN_ENV

# Prints one field of task.yaml: "instruction", "max_steps", or "grader" (NUL-separated commands).
field() {
    python3 - "$1" "$2" <<'EOF'
import sys
path, key = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
try:
    import yaml
    task = yaml.safe_load(text)
except ImportError:
    # The subset the suite's task.yaml files use: top-level keys, "|" blocks, "-" lists, one nested map.
    task, current, lines = {}, None, text.split("\n")
    i = 0
    def block(i, indent):
        out = []
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) >= indent):
            out.append(lines[i][indent:])
            i += 1
        while out and not out[-1].strip():
            out.pop()
        return "\n".join(out) + "\n", i
    def scalar(s):
        s = s.strip()
        if s.startswith("'") and s.endswith("'"):
            return s[1:-1].replace("''", "'")
        return int(s) if s.isdigit() else s
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        if not line.startswith(" "):
            k, _, v = line.partition(":")
            v = v.strip()
            i += 1
            if v == "|":
                task[k], i = block(i, 2)
            elif v.startswith("["):
                task[k] = [scalar(x) for x in v.strip("[]").split(",") if x.strip()]
            elif v:
                task[k] = scalar(v)
            else:
                current = k
            continue
        stripped = line.strip()
        i += 1
        if stripped == "- |":
            value, i = block(i, len(line) - len(line.lstrip()) + 2)
            task.setdefault(current, []).append(value)
        elif stripped.startswith("- "):
            task.setdefault(current, []).append(scalar(stripped[2:]))
        else:
            k, _, v = stripped.partition(":")
            task.setdefault(current, {})[k] = scalar(v)
if key == "grader":
    sys.stdout.write("".join(g + "\0" for g in task["grader"]))
elif key == "max_steps":
    print((task.get("limits") or {}).get("max_steps", 50))
else:
    sys.stdout.write(task[key])
EOF
}

# Runs every grader command in folder $1; prints the first failure; returns 0 when all pass.
grade() {
    local dir=$1 command status
    while IFS= read -r -d '' command; do
        (cd "$dir" && timeout 60 bash -c "$command") >"$dir.grader.out" 2>&1
        status=$?
        if [[ $status != 0 ]]; then
            echo "grader command failed (exit $status): ${command%%$'\n'*}"
            sed 's/^/      | /' "$dir.grader.out" | tail -n 8
            return 1
        fi
    done < <(field "$task_dir/task.yaml" grader)
    return 0
}

if [[ $# -gt 0 ]]; then
    tasks=("$@")
else
    tasks=()
    for dir in "$suite"/*/; do
        [[ -f "$dir/task.yaml" ]] && tasks+=("$(basename "$dir")")
    done
fi

failed=0
for name in "${tasks[@]}"; do
    task_dir="$suite/$name"
    work="$scratch/$name"
    mkdir -p "$work"

    cp -a "$task_dir/workspace" "$work/before"
    if before=$(grade "$work/before"); then
        echo "FAIL $name: the grader passes on the untouched workspace"
        failed=$((failed + 1))
        continue
    fi

    cp -a "$task_dir/workspace" "$work/after"
    instruction=$(field "$task_dir/task.yaml" instruction)
    max_steps=$(field "$task_dir/task.yaml" max_steps)
    if ! (cd "$work/after" && $REIN run --model "scripted:$task_dir/solution.json" --max-steps "$max_steps" "$instruction") >"$work/run.out" 2>&1; then
        echo "FAIL $name: rein run failed"
        sed 's/^/      | /' "$work/run.out" | tail -n 12
        failed=$((failed + 1))
        continue
    fi
    if ! report=$(grade "$work/after"); then
        echo "FAIL $name: after the scripted solution, $report"
        sed 's/^/      | /' "$work/run.out" | tail -n 12
        failed=$((failed + 1))
        continue
    fi
    echo "ok   $name"
    if [[ "${VERBOSE:-0}" == 1 ]]; then
        echo "     before: $before"
    fi
done

echo "${#tasks[@]} tasks, $failed failed"
[[ $failed == 0 ]]
