using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rein.Engine;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Context.Instructions;

/// <summary>The nested-instructions stage of the tool-call pipeline.</summary>
public static class InstructionStages
{
    /// <summary>
    /// After a successful call that touches a workspace path, appends to its observation each <c>AGENTS.md</c> in the folders
    /// strictly below the workspace root down to the touched path (nearest last) that is not yet in the session's context or
    /// changed since (by SHA-256), as <c>&lt;instructions source="pkg/AGENTS.md"&gt;…&lt;/instructions&gt;</c>, and returns an
    /// <see cref="InstructionsLoaded"/> fact for each so it is journaled with the result.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">The file name, caps and the tools that touch paths; <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// <para>
    /// Add it after the policy and approval stages, so a refused call loads nothing. The root <c>AGENTS.md</c> is left out: it
    /// is part of the system prompt. Files outside the workspace, or reached through a symbolic link out of it, are never read.
    /// </para>
    /// <para>
    /// What is in the context is <see cref="SessionState.Instructions"/>, plus the loads this stage handed out that are not
    /// journaled yet, so parallel calls in one step add a file once. Thread-safe.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">The options have an empty file name or a cap below 200 characters.</exception>
    public static ToolCallPipelineBuilder UseNestedInstructions(this ToolCallPipelineBuilder builder, NestedInstructionsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options ??= new NestedInstructionsOptions();
        var fileName = options.FileName;
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName, nameof(options));
        var maxChars = options.MaxChars;
        var maxObservation = options.MaxObservationChars;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 200, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxObservation, 200, nameof(options));
        var pathArguments = options.PathArguments.ToDictionary(StringComparer.Ordinal);
        var handedOut = new Dictionary<(string Session, string Path), string>();
        var gate = new Lock();
        return builder.Use(next => async (call, cancellationToken) =>
        {
            var result = await next(call, cancellationToken).ConfigureAwait(false);
            if (result.IsError || call.Tool is null || !pathArguments.TryGetValue(call.Request.Name, out var argument))
            {
                return result;
            }

            var path = call.Arguments.ValueKind == JsonValueKind.Object && call.Arguments.TryGetProperty(argument, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
            var candidates = new List<(InstructionFile File, string Hash, string Text)>();
            foreach (var file in InstructionFiles.Find(call.Context.WorkspaceRoot, path, fileName))
            {
                byte[] bytes;
                try
                {
                    bytes = await File.ReadAllBytesAsync(file.FullPath, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                candidates.Add((file, Convert.ToHexStringLower(SHA256.HashData(bytes)), Encoding.UTF8.GetString(bytes)));
            }

            var loaded = new List<InstructionsLoaded>();
            lock (gate)
            {
                var state = call.Session.State.Instructions;
                foreach (var (file, hash, text) in candidates)
                {
                    var key = (call.Session.SessionId, file.RelativePath);
                    var known = handedOut.TryGetValue(key, out var claimed) ? claimed : state.LastOrDefault(i => i.Path == file.RelativePath)?.ContentHash;
                    if (known != hash)
                    {
                        handedOut[key] = hash;
                        loaded.Add(new InstructionsLoaded(file.RelativePath, hash, Cap(text, maxChars, fileName, call.Context.Redactor), call.Request.Id));
                    }
                }
            }

            return loaded.Count == 0 ? result : Append(result, loaded, maxObservation, call.Context.Redactor);
        });
    }

    // Both cuts happen before the observation is redacted: they move before a value the redactor would split.
    private static string Cap(string text, int maxChars, string fileName, IOutputRedactor? redactor)
    {
        text = text.Trim();
        if (text.Length <= maxChars)
        {
            return text;
        }

        var cut = redactor?.SpanAcross(text, maxChars)?.Start.Value ?? maxChars;
        return string.Concat(text.AsSpan(0, cut), $"\n[{fileName} truncated: showing {cut} of {text.Length} characters; read the file for the rest]");
    }

    private static ToolResult Append(ToolResult result, List<InstructionsLoaded> loaded, int maxObservation, IOutputRedactor? redactor)
    {
        var blocks = new StringBuilder();
        foreach (var instructions in loaded)
        {
            blocks.Append("\n\n<instructions source=\"").Append(instructions.Path.Replace("\"", "&quot;", StringComparison.Ordinal)).Append("\">\n")
                .Append(instructions.Text).Append("\n</instructions>");
        }

        var content = result.Content;
        var truncated = result.Truncated;
        var originalLength = result.OriginalLength;
        var room = maxObservation - blocks.Length;
        if (content.Length > room)
        {
            // The loop's output cap keeps the head and tail; shorten the tool's output here so it cannot cut the instructions.
            const string Marker = "\n[... {0} characters omitted to make room for the instructions below ...]";
            var keep = Math.Max(0, room - Marker.Length - 12);
            // This stage runs inside the redaction stage: cut before a value the redactor would otherwise find only in part.
            keep = redactor?.SpanAcross(content, keep)?.Start.Value ?? keep;
            originalLength = originalLength > 0 ? originalLength : content.Length;
            content = string.Concat(content.AsSpan(0, keep), string.Format(System.Globalization.CultureInfo.InvariantCulture, Marker, content.Length - keep));
            truncated = true;
        }

        return result with
        {
            Content = content + blocks,
            Truncated = truncated,
            OriginalLength = originalLength,
            Facts = [.. result.Facts, .. loaded],
        };
    }
}
