namespace Rein.Tools;

/// <summary>Creates Rein's built-in tools.</summary>
public static class BuiltInTools
{
    /// <summary>
    /// The most characters of a command's output kept (head and tail beyond it): 1,000,000. The journal keeps the
    /// output whole up to this; what the model sees of it is shaped by the context layer.
    /// </summary>
    public const int JournaledOutputChars = 1_000_000;

    /// <summary>Creates the eight built-in tools with their defaults, in a stable order: read_file, write_file, edit_file, list_files, grep, shell, fetch_url, todo_write.</summary>
    /// <param name="commandRunner">Runs <c>shell</c> commands, e.g. inside a sandbox. Defaults to a <see cref="ProcessCommandRunner"/> that runs them directly.</param>
    /// <param name="secrets">Stored secrets <c>shell</c> commands may ask for by name. Defaults to none (no <c>secrets</c> argument).</param>
    /// <param name="shellMaxTimeoutSeconds">The largest timeout a <c>shell</c> call may ask for. Defaults to <see cref="ShellTool.MaxTimeoutSeconds"/>.</param>
    /// <returns>The tools, ready for <c>new ToolSet(...)</c>.</returns>
    public static IReadOnlyList<ITool> CreateAll(ICommandRunner? commandRunner = null, ISecretResolver? secrets = null, int shellMaxTimeoutSeconds = ShellTool.MaxTimeoutSeconds)
    {
        return
        [
            new ReadFileTool(),
            new WriteFileTool(),
            new EditFileTool(),
            new ListFilesTool(),
            new GrepTool(),
            new ShellTool(commandRunner, JournaledOutputChars, secrets, shellMaxTimeoutSeconds),
            new FetchUrlTool(),
            new TodoWriteTool(),
        ];
    }
}
