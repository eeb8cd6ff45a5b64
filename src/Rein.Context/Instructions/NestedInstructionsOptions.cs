namespace Rein.Context.Instructions;

/// <summary>Options of the nested-instructions stage (<see cref="InstructionStages.UseNestedInstructions"/>).</summary>
/// <remarks>Read when the stage is added; later changes have no effect.</remarks>
public sealed class NestedInstructionsOptions
{
    /// <summary>The default <see cref="MaxChars"/>: 8,000 characters.</summary>
    public const int DefaultMaxChars = 8_000;

    /// <summary>The default <see cref="MaxObservationChars"/>: 30,000 characters, the agent loop's default output cap.</summary>
    public const int DefaultMaxObservationChars = 30_000;

    /// <summary>Gets or sets the name of the instruction files. Default: <c>AGENTS.md</c>.</summary>
    public string FileName { get; set; } = "AGENTS.md";

    /// <summary>Gets or sets the most characters of one file added to an observation; longer files are cut with a note. Default: 8,000.</summary>
    public int MaxChars { get; set; } = DefaultMaxChars;

    /// <summary>
    /// Gets or sets the longest observation, tool output and instructions together, in characters. When the instructions would
    /// push an observation over it, the tool output is shortened so the instructions survive the loop's output cap intact.
    /// Default: 30,000 (the loop's default cap); set it to the loop's <c>MaxObservationChars</c>.
    /// </summary>
    public int MaxObservationChars { get; set; } = DefaultMaxObservationChars;

    /// <summary>
    /// Gets or sets the tools whose calls touch a workspace path, with the name of the argument that holds it.
    /// Default: <c>path</c> of <c>read_file</c>, <c>write_file</c>, <c>edit_file</c>, <c>list_files</c> and <c>grep</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> PathArguments { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["read_file"] = "path",
        ["write_file"] = "path",
        ["edit_file"] = "path",
        ["list_files"] = "path",
        ["grep"] = "path",
    };
}
