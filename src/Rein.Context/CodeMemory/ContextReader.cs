namespace Rein.Context.CodeMemory;

/// <summary>
/// Rebuilds, from the items the model is shown and nothing else, what the model can know of each file:
/// whole observations give lines, diffs change them, references add nothing. Used to check that code
/// memory never lets the model's view of a file differ from the file.
/// </summary>
public static class ContextReader
{
    /// <summary>The file lines the shown items convey, by path and 1-based line number.</summary>
    public static IReadOnlyDictionary<string, SortedDictionary<int, string>> Reconstruct(IEnumerable<ContextItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var files = new Dictionary<string, SortedDictionary<int, string>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item.Kind != ContextItemKind.Observation || item.View is not { } view || item.Masked || item.IsError)
            {
                continue;
            }

            if (item.Rendered.Equals(item.Original, StringComparison.Ordinal))
            {
                if (!files.TryGetValue(view.Path, out var lines))
                {
                    lines = [];
                    files[view.Path] = lines;
                }

                for (var i = 0; i < view.Lines.Count; i++)
                {
                    lines[view.StartLine + i] = view.Lines[i];
                }

                if (view.ReachesEnd)
                {
                    foreach (var beyond in lines.Keys.Where(k => k > view.EndLine).ToList())
                    {
                        lines.Remove(beyond);
                    }
                }
            }
            else if (item.Saving == ContextSaving.CodeMemory && item.Rendered.Contains("(unified diff", StringComparison.Ordinal))
            {
                var diff = item.Rendered[(item.Rendered.IndexOf('\n', StringComparison.Ordinal) + 1)..];
                if (!files.TryGetValue(view.Path, out var lines) || !UnifiedDiff.TryApply(lines, diff))
                {
                    files.Remove(view.Path);
                }
            }
        }

        return files;
    }

    /// <summary>Whether the shown items convey exactly <paramref name="view"/>'s lines.</summary>
    public static bool Conveys(IEnumerable<ContextItem> items, FileView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (!Reconstruct(items).TryGetValue(view.Path, out var lines))
        {
            return view.Lines.Count == 0;
        }

        for (var i = 0; i < view.Lines.Count; i++)
        {
            if (!lines.TryGetValue(view.StartLine + i, out var line) || !line.Equals(view.Lines[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
