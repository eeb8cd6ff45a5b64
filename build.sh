#!/usr/bin/env bash
# Builds and tests Rein. Run ./build.sh --help for the commands.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 2

# Exit code when a program the tests need is missing and cannot be installed here: distinct from every code
# dotnet test returns, so scripts can tell "could not start" from "tests failed".
readonly missing_exit=69

usage() {
  cat <<'EOF'
Usage: ./build.sh COMMAND [ARGS...]

Commands:
  test [ARGS...]   Check the programs the tests need (installing missing ones, see below), run the whole
                   test suite with `dotnet test` and print the summary line "N passed, N failed, N skipped".
                   ARGS go to dotnet test, e.g. ./build.sh test --project tests/Rein.Core.Tests
  deps             Only check and install the programs the tests need.
  -h, --help       Show this help.

The tests run real programs besides the .NET SDK: python3, git, kill (procps), setsid (util-linux),
bubblewrap, socat, curl, chromium (the web console's browser tests), node and npm (the reference MCP servers,
installed with npm into ~/.cache/rein-tests/mcp-servers, or $REIN_TEST_MCP_SERVERS), and for the starter eval suite
gcc, make, a JDK (javac) and rustc.
Missing ones are installed with apt-get (Debian/Ubuntu package names) when running as root or when
`sudo -n` works. Otherwise the script prints the `apt-get install` line to run and exits with code 69
without running any test.

Exit code of `test`: dotnet test's (0 when every test passed); 69 when required programs are missing.
EOF
}

# One line per program: the command looked for, the Debian package that provides it, and why the tests need it.
readonly requirements=(
  "dotnet|-|the .NET 10 SDK builds and runs everything (install it from https://dot.net)"
  "python3|python3|the demo project and several eval graders are Python"
  "git|git|checkpoints and the trust tests use git repositories"
  "kill|procps|the end-to-end tests signal rein with kill"
  "setsid|util-linux|the shell tool starts commands in their own session"
  "bwrap|bubblewrap|shell commands and hooks run in the bubblewrap sandbox"
  "socat|socat|the sandbox reaches Rein's egress proxy through socat"
  "curl|curl|the sandbox tests reach loopback servers with curl"
  "node|nodejs|starter eval suite: JavaScript tasks; the reference MCP servers"
  "npm|npm|installs the reference MCP servers the MCP client is tested against"
  "gcc|gcc|starter eval suite and sandbox tests: C tasks"
  "make|make|starter eval suite: C tasks build with make"
  "javac|default-jdk-headless|starter eval suite: Java task"
  "rustc|rustc|starter eval suite: Rust task"
  "chromium|chromium|the web console's browser tests"
)

# Prints the Debian packages whose programs are missing; reports programs that exist but do not run (for example
# a rustup shim with no toolchain chosen) on stderr and returns 1 for them, since installing a package does not
# fix those.
find_missing() {
  local broken=0 entry program package reason path output
  for entry in "${requirements[@]}"; do
    IFS='|' read -r program package reason <<<"$entry"
    if ! path=$(type -P "$program"); then
      if [ "$package" = - ]; then
        echo "build.sh: $program is not on PATH: $reason" >&2
        broken=1
      else
        echo "$package"
      fi
      continue
    fi
    case $program in
      # Toolchain front ends can be wrappers that fail at every call (rustup without a default toolchain,
      # a java stub without a JDK): run them once so the cause shows here, not in a failed grader.
      rustc | javac | node | gcc | python3)
        if ! output=$("$program" --version 2>&1 </dev/null); then
          echo "build.sh: $program ($path) is installed but does not run: $(printf '%s\n' "$output" | grep -m1 -v '^\s*$')" >&2
          [ "$program" = rustc ] && echo "build.sh: with rustup, choose a toolchain: rustup default stable" >&2
          broken=1
        fi
        ;;
    esac
  done
  return $broken
}

install_requirements() {
  local missing broken=0 sudo=()
  missing=$(find_missing 2>/dev/null | sort -u | tr '\n' ' ')
  if [ -n "$missing" ] && command -v apt-get >/dev/null; then
    if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    fi
    if [ "$(id -u)" = 0 ] || [ ${#sudo[@]} -gt 0 ]; then
      echo "build.sh: installing ${missing% }" >&2
      local apt_log
      apt_log=$(mktemp)
      # shellcheck disable=SC2086 # the package list is meant to split into words
      if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >"$apt_log" 2>&1; then
        # apt-get's own error lines name the cause; the checks below say whether the programs arrived anyway.
        echo "build.sh: apt-get reported errors while installing ${missing% }:" >&2
        grep -E '^(E:|W:)|dpkg: error|error processing|[Ee]rrors were encountered' "$apt_log" | head -n 20 >&2
      fi
      rm -f "$apt_log"
    fi
  fi
  missing=$(find_missing | sort -u | tr '\n' ' ') || broken=1
  if [ -n "$missing" ]; then
    echo "build.sh: the tests need programs that are not installed. Install these Debian packages (or your system's equivalents):" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing% }" >&2
    return $missing_exit
  fi
  [ $broken -eq 0 ] || return $missing_exit
}

# The reference MCP servers the MCP client's tests run (npm packages, pinned), installed once into a cache folder.
readonly mcp_servers=("@modelcontextprotocol/server-everything@2026.8.31" "@modelcontextprotocol/server-filesystem@2026.8.31")

install_mcp_servers() {
  local dir=${REIN_TEST_MCP_SERVERS:-${XDG_CACHE_HOME:-$HOME/.cache}/rein-tests/mcp-servers}
  local stamp="$dir/installed.txt"
  if [ -x "$dir/node_modules/.bin/mcp-server-everything" ] && [ -x "$dir/node_modules/.bin/mcp-server-filesystem" ] \
    && [ "$(cat "$stamp" 2>/dev/null)" = "${mcp_servers[*]}" ]; then
    export REIN_TEST_MCP_SERVERS=$dir
    return 0
  fi
  echo "build.sh: installing the reference MCP servers into $dir" >&2
  mkdir -p "$dir" || return $missing_exit
  if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${mcp_servers[@]}" >&2; then
    echo "build.sh: npm could not install ${mcp_servers[*]} (the MCP client's tests need them; is the npm registry reachable?)" >&2
    return $missing_exit
  fi
  echo "${mcp_servers[*]}" >"$stamp"
  export REIN_TEST_MCP_SERVERS=$dir
}

run_tests() {
  install_requirements || exit $?
  install_mcp_servers || exit $?
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  local log status
  log=$(mktemp)
  # shellcheck disable=SC2064 # expand $log now
  trap "rm -f '$log'" EXIT
  dotnet test "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # dotnet test (Microsoft.Testing.Platform) ends with the run's totals as "failed: N", "succeeded: N",
  # "skipped: N"; CI reads the plain line below instead.
  awk '
    /^[[:space:]]*failed:[[:space:]]*[0-9]+/    { f = $2 }
    /^[[:space:]]*succeeded:[[:space:]]*[0-9]+/ { p = $2 }
    /^[[:space:]]*skipped:[[:space:]]*[0-9]+/   { s = $2 }
    END { printf "%d passed, %d failed, %d skipped\n", p, f, s }
  ' "$log"
  return "$status"
}

case "${1:-}" in
  test) shift; run_tests "$@"; exit $? ;;
  deps) install_requirements && install_mcp_servers; exit $? ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "build.sh: unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac
