#!/bin/sh
# The inventory tests: sh test.sh (exits 0 when all pass, 1 when one fails).

items='bolt 2 10
nut 1 3
gear 15 2'
passed=0
failed=0

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then
        echo "$1 ... ok"
        passed=$((passed + 1))
    else
        echo "$1 ... FAIL: expected '$2', got '$3'"
        failed=$((failed + 1))
    fi
}

check test_total_value "$((2 * 10 + 1 * 3 + 15 * 2))" "$(printf '%s\n' "$items" | awk -v report=total -f inventory.awk)"
check test_total_value_empty 0 "$(awk -v report=total -f inventory.awk < /dev/null)"
check test_low_stock "gear nut" "$(printf '%s\n' "$items" | awk -v report=low -f inventory.awk)"

echo "Ran $((passed + failed)) tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
