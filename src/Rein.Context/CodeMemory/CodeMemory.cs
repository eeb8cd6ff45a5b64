namespace Rein.Context.CodeMemory;

/// <summary>
/// Which lines of which files are in the model's current context, with the step whose observation holds
/// each line. Identity is the text itself (never a modification time), so any change made by anyone is
/// seen the next time the file is read.
/// </summary>
/// <remarks>Not thread-safe; one per session context.</remarks>
internal sealed class FileMemory
{
    private readonly Dictionary<string, FileLines> _files = new(StringComparer.Ordinal);

    /// <summary>Compares a new view of a file with what the context holds.</summary>
    public Recollection Recall(FileView view)
    {
        if (view.Lines.Count == 0 || !_files.TryGetValue(view.Path, out var file))
        {
            return Recollection.Unknown;
        }

        // A view that reaches the end of the file is compared with the whole known tail, so lines added or
        // removed at the end show up in the diff.
        var oldEnd = view.ReachesEnd && file.KnownLength is { } length ? length : view.EndLine;
        var old = new List<string>(Math.Max(0, oldEnd - view.StartLine + 1));
        var holders = new SortedSet<int>();
        for (var line = view.StartLine; line <= oldEnd; line++)
        {
            if (!file.Lines.TryGetValue(line, out var held))
            {
                return Recollection.Unknown;
            }

            old.Add(held.Text);
            holders.Add(held.Step);
        }

        if (old.Count == 0)
        {
            return Recollection.Unknown;
        }

        var same = old.Count == view.Lines.Count && old.SequenceEqual(view.Lines, StringComparer.Ordinal);
        return new Recollection(same ? RecallKind.Same : RecallKind.Changed, old, holders);
    }

    /// <summary>Records that the context now shows <paramref name="view"/>; changed lines are held by <paramref name="step"/>.</summary>
    public void Record(FileView view, int step, Recollection previous)
    {
        if (!_files.TryGetValue(view.Path, out var file))
        {
            file = new FileLines();
            _files[view.Path] = file;
        }

        var oldEnd = view.ReachesEnd && file.KnownLength is { } length ? length : view.EndLine;
        var unchangedHolders = previous.Kind == RecallKind.Unknown ? null : file.Lines;
        var replacement = new Dictionary<int, Held>();
        for (var i = 0; i < view.Lines.Count; i++)
        {
            var number = view.StartLine + i;
            var keep = unchangedHolders is not null && previous.Kind == RecallKind.Same && unchangedHolders.TryGetValue(number, out var held) && held.Text == view.Lines[i];
            replacement[number] = keep ? unchangedHolders![number] : new Held(view.Lines[i], step);
        }

        for (var line = view.StartLine; line <= Math.Max(oldEnd, view.EndLine); line++)
        {
            file.Lines.Remove(line);
        }

        if (view.ReachesEnd)
        {
            foreach (var beyond in file.Lines.Keys.Where(k => k > view.EndLine).ToList())
            {
                file.Lines.Remove(beyond);
            }

            file.KnownLength = view.EndLine;
        }
        else if (previous.Kind == RecallKind.Changed && view.Lines.Count != oldEnd - view.StartLine + 1)
        {
            // Lines after a region that changed size may have moved: they are no longer known.
            foreach (var beyond in file.Lines.Keys.Where(k => k > view.EndLine).ToList())
            {
                file.Lines.Remove(beyond);
            }

            file.KnownLength = null;
        }

        foreach (var (number, held) in replacement)
        {
            file.Lines[number] = held;
        }
    }

    /// <summary>Forgets every file that has a line held by one of <paramref name="steps"/> (their observations left the context).</summary>
    public void Forget(IReadOnlySet<int> steps)
    {
        foreach (var path in _files.Where(f => f.Value.Lines.Values.Any(h => steps.Contains(h.Step))).Select(f => f.Key).ToList())
        {
            _files.Remove(path);
        }
    }

    /// <summary>Forgets a file (its content in the context can no longer be trusted to match).</summary>
    public void Forget(string path) => _files.Remove(path);

    /// <summary>Forgets everything (the context was compacted).</summary>
    public void Clear() => _files.Clear();

    /// <summary>Gets the number of files with lines in the context.</summary>
    public int Files => _files.Count;

    private readonly record struct Held(string Text, int Step);

    private sealed class FileLines
    {
        public SortedDictionary<int, Held> Lines { get; } = [];

        public int? KnownLength { get; set; }
    }
}

/// <summary>What the context held of a file region that is being read again.</summary>
/// <param name="Kind">Whether the region was known, and whether it changed.</param>
/// <param name="OldLines">The region's lines as the context holds them.</param>
/// <param name="Holders">The steps whose observations hold those lines.</param>
internal sealed record Recollection(RecallKind Kind, IReadOnlyList<string> OldLines, IReadOnlySet<int> Holders)
{
    public static Recollection Unknown { get; } = new(RecallKind.Unknown, [], new SortedSet<int>());
}

/// <summary>How a re-read region compares with the context.</summary>
internal enum RecallKind
{
    /// <summary>Not (wholly) in the context.</summary>
    Unknown,

    /// <summary>In the context and unchanged.</summary>
    Same,

    /// <summary>In the context, but the file changed since.</summary>
    Changed,
}
