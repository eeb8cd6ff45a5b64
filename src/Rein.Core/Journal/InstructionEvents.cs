namespace Rein.Journal;

/// <summary>
/// A nested <c>AGENTS.md</c> was added to the context: a tool call touched a path below its folder, and the file was not yet in
/// this session's context (or changed since). Journaled with the result of the call whose observation carries it.
/// </summary>
/// <param name="Path">The file, relative to the workspace root with <c>/</c> separators, e.g. <c>src/api/AGENTS.md</c>.</param>
/// <param name="ContentHash">The SHA-256 of the file's bytes, lowercase hex; a later change loads the file again.</param>
/// <param name="Text">The text as added to the context (capped, with a note when cut).</param>
/// <param name="CallId">The tool call whose observation carries the text, when known.</param>
public sealed record InstructionsLoaded(string Path, string ContentHash, string Text, string? CallId = null) : SessionEvent;
