# A tiny inventory report: the project the rein demo agent fixes.
# Input: one item a line, "name price quantity". Usage:
#   awk -v report=total -f inventory.awk items    the value of the stock
#   awk -v report=low -f inventory.awk items      the items low on stock (threshold=N; default 5)

# The total value of the stock: the sum of price * quantity over all items.
function total_value(price, quantity, n,    i, total) {
    total = 0
    for (i = 1; i <= n; i++)
        total += price[i] + quantity[i]
    return total
}

# The names of the items whose quantity is below the threshold, sorted, on one line.
function low_stock(name, quantity, n, threshold,    i, j, count, low, line) {
    count = 0
    for (i = 1; i <= n; i++) {
        if (quantity[i] + 0 < threshold + 0) {
            for (j = count; j > 0 && low[j] > name[i]; j--)
                low[j + 1] = low[j]
            low[j + 1] = name[i]
            count++
        }
    }
    line = ""
    for (i = 1; i <= count; i++)
        line = line (i > 1 ? " " : "") low[i]
    return line
}

NF > 0 { n++; name[n] = $1; price[n] = $2; quantity[n] = $3 }

END {
    if (report == "total")
        print total_value(price, quantity, n + 0)
    else if (report == "low")
        print low_stock(name, quantity, n + 0, threshold == "" ? 5 : threshold)
    else {
        print "inventory.awk: pass -v report=total or -v report=low" > "/dev/stderr"
        exit 2
    }
}
