using System.Globalization;
using System.Text;

namespace Rein.Context.CodeMemory;

/// <summary>Line diffs in the unified format (Myers' algorithm), and applying them back.</summary>
public static class UnifiedDiff
{
    private const int ContextLines = 2;
    private const int MaxEditDistance = 400;

    /// <summary>Writes the hunks that turn <paramref name="before"/> into <paramref name="after"/>.</summary>
    /// <param name="before">The old lines.</param>
    /// <param name="after">The new lines.</param>
    /// <param name="firstLine">The file line number of the first line of both (the region's start).</param>
    /// <returns>The hunks (<c>@@ -a,b +c,d @@</c> lines followed by ' ', '-' and '+' lines), empty when equal.</returns>
    public static string Create(IReadOnlyList<string> before, IReadOnlyList<string> after, int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var edits = Edits(before, after);
        var text = new StringBuilder();
        var i = 0;
        while (i < edits.Count)
        {
            if (edits[i].Kind == ' ')
            {
                i++;
                continue;
            }

            // A hunk: from ContextLines before the change to ContextLines after the last change within reach.
            var start = Math.Max(0, i - ContextLines);
            var end = i;
            while (true)
            {
                while (end < edits.Count && edits[end].Kind != ' ')
                {
                    end++;
                }

                var next = end;
                while (next < edits.Count && edits[next].Kind == ' ' && next - end < 2 * ContextLines + 1)
                {
                    next++;
                }

                if (next < edits.Count && edits[next].Kind != ' ')
                {
                    end = next;
                    continue;
                }

                end = Math.Min(edits.Count, end + ContextLines);
                break;
            }

            var first = edits[start];
            var oldCount = 0;
            var newCount = 0;
            for (var k = start; k < end; k++)
            {
                oldCount += edits[k].Kind != '+' ? 1 : 0;
                newCount += edits[k].Kind != '-' ? 1 : 0;
            }

            text.Append(CultureInfo.InvariantCulture, $"@@ -{first.OldIndex + firstLine},{oldCount} +{first.NewIndex + firstLine},{newCount} @@\n");
            for (var k = start; k < end; k++)
            {
                text.Append(edits[k].Kind).Append(edits[k].Text).Append('\n');
            }

            i = end;
        }

        return text.ToString();
    }

    /// <summary>Applies hunks made by <see cref="Create"/> to lines numbered from 1.</summary>
    /// <param name="lines">The old lines, keyed by 1-based line number; changed in place (lines after a size change are renumbered).</param>
    /// <param name="diff">The hunks.</param>
    /// <returns>Whether every hunk applied (its context and removed lines matched).</returns>
    public static bool TryApply(SortedDictionary<int, string> lines, string diff)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(diff);
        var shift = 0;
        var hunkLines = diff.Split('\n');
        var i = 0;
        while (i < hunkLines.Length)
        {
            var header = hunkLines[i];
            if (!header.StartsWith("@@ -", StringComparison.Ordinal))
            {
                i++;
                continue;
            }

            var parts = header.Split(' ');
            var oldStart = int.Parse(parts[1][1..].Split(',')[0], CultureInfo.InvariantCulture) + shift;
            var body = new List<string>();
            i++;
            while (i < hunkLines.Length && hunkLines[i].Length > 0 && hunkLines[i][0] is ' ' or '-' or '+')
            {
                body.Add(hunkLines[i]);
                i++;
            }

            var replaced = new List<string>();
            var line = oldStart;
            foreach (var entry in body)
            {
                if (entry[0] == '+')
                {
                    replaced.Add(entry[1..]);
                    continue;
                }

                if (!lines.TryGetValue(line, out var current) || current != entry[1..])
                {
                    return false;
                }

                if (entry[0] == ' ')
                {
                    replaced.Add(current);
                }

                line++;
            }

            var removed = line - oldStart;
            Replace(lines, oldStart, removed, replaced);
            shift += replaced.Count - removed;
        }

        return true;
    }

    private static void Replace(SortedDictionary<int, string> lines, int start, int removed, List<string> replacement)
    {
        var delta = replacement.Count - removed;
        var after = lines.Where(p => p.Key >= start + removed).ToList();
        foreach (var key in lines.Keys.Where(k => k >= start).ToList())
        {
            lines.Remove(key);
        }

        for (var k = 0; k < replacement.Count; k++)
        {
            lines[start + k] = replacement[k];
        }

        foreach (var (key, value) in after)
        {
            lines[key + delta] = value;
        }
    }

    private readonly record struct Edit(char Kind, string Text, int OldIndex, int NewIndex);

    private static List<Edit> Edits(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        // Common head and tail first: most re-reads change a few lines in a large file.
        var head = 0;
        while (head < a.Count && head < b.Count && a[head] == b[head])
        {
            head++;
        }

        var tail = 0;
        while (tail < a.Count - head && tail < b.Count - head && a[a.Count - 1 - tail] == b[b.Count - 1 - tail])
        {
            tail++;
        }

        var edits = new List<Edit>(a.Count + b.Count);
        for (var k = 0; k < head; k++)
        {
            edits.Add(new Edit(' ', a[k], k, k));
        }

        Middle(a, b, head, a.Count - tail, head, b.Count - tail, edits);
        for (var k = 0; k < tail; k++)
        {
            var oldIndex = a.Count - tail + k;
            edits.Add(new Edit(' ', a[oldIndex], oldIndex, b.Count - tail + k));
        }

        return edits;
    }

    /// <summary>Myers' O(ND) shortest edit script for a[aStart..aEnd) and b[bStart..bEnd).</summary>
    private static void Middle(IReadOnlyList<string> a, IReadOnlyList<string> b, int aStart, int aEnd, int bStart, int bEnd, List<Edit> edits)
    {
        var n = aEnd - aStart;
        var m = bEnd - bStart;
        var max = n + m;
        if (max == 0)
        {
            return;
        }

        var v = new int[2 * max + 2];
        var trace = new List<int[]>();
        var found = false;
        for (var d = 0; d <= max && !found; d++)
        {
            if (d > MaxEditDistance)
            {
                // Too different to be worth a minimal script (and its memory): replace the whole middle.
                for (var k = aStart; k < aEnd; k++)
                {
                    edits.Add(new Edit('-', a[k], k, bStart));
                }

                for (var k = bStart; k < bEnd; k++)
                {
                    edits.Add(new Edit('+', b[k], aEnd, k));
                }

                return;
            }

            trace.Add((int[])v.Clone());
            for (var k = -d; k <= d; k += 2)
            {
                int x;
                if (k == -d || (k != d && v[max + k - 1] < v[max + k + 1]))
                {
                    x = v[max + k + 1];
                }
                else
                {
                    x = v[max + k - 1] + 1;
                }

                var y = x - k;
                while (x < n && y < m && a[aStart + x] == b[bStart + y])
                {
                    x++;
                    y++;
                }

                v[max + k] = x;
                if (x >= n && y >= m)
                {
                    found = true;
                    break;
                }
            }
        }

        // Walk back through the saved frontiers to recover the script.
        var script = new List<Edit>();
        int cx = n, cy = m;
        for (var d = trace.Count - 1; d >= 0 && (cx > 0 || cy > 0); d--)
        {
            var vd = trace[d];
            var k = cx - cy;
            int prevK;
            if (k == -d || (k != d && vd[max + k - 1] < vd[max + k + 1]))
            {
                prevK = k + 1;
            }
            else
            {
                prevK = k - 1;
            }

            var prevX = d == 0 ? 0 : vd[max + prevK];
            var prevY = prevX - prevK;
            while (cx > prevX && cy > prevY)
            {
                cx--;
                cy--;
                script.Add(new Edit(' ', a[aStart + cx], aStart + cx, bStart + cy));
            }

            if (d > 0)
            {
                if (cx == prevX)
                {
                    cy--;
                    script.Add(new Edit('+', b[bStart + cy], aStart + cx, bStart + cy));
                }
                else
                {
                    cx--;
                    script.Add(new Edit('-', a[aStart + cx], aStart + cx, bStart + cy));
                }
            }
        }

        script.Reverse();
        edits.AddRange(script);
    }
}
