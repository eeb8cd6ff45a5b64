using System.Text;
using Microsoft.Extensions.AI;
using Rein.Context.Tokens;
using Rein.Tools;

namespace Rein.Hosting.Composition;

/// <summary>The default system prompt: who the agent is, how it works, and the workspace's AGENTS.md.</summary>
/// <remarks>
/// The prompt and the tool declarations are the prefix of every request. They are byte-stable for a workspace and
/// profile (no clock, no per-session data, tools in a fixed order), so providers' prompt caches hit across steps
/// and sessions.
/// </remarks>
internal static class SystemPrompt
{
    private const string Base = """
        You are Rein, a careful software engineering agent working in the user's workspace through tools.
        - Work in small verified steps: read before you edit, run the project's tests or build after changes.
        - Use read_file/list_files/grep to explore, edit_file for targeted changes, write_file for new files, shell for builds, tests and git.
        - Paths are relative to the workspace root; you cannot touch files outside it.
        - For multi-step tasks keep a short plan with todo_write and update it as you go.
        - When a tool fails, read the error and adjust; do not repeat the same failing call.
        - Finish with a brief summary of what you changed and how you verified it. Ask when a request is ambiguous or risky.
        """;

    /// <summary>Builds the prompt for a workspace and, when one is used, an agent profile's onboarding doc.</summary>
    public static string For(string workspace, Rein.Profiles.AgentProfile? profile = null)
    {
        var prompt = new StringBuilder(Base).Append("\nWorkspace: ").Append(workspace).Append('\n');
        if (profile is { Body.Length: > 0 })
        {
            prompt.Append("\n# Agent profile: ").Append(profile.Name).Append('\n').Append(profile.Body).Append('\n');
        }

        var agentsFile = Path.Combine(workspace, "AGENTS.md");
        if (File.Exists(agentsFile))
        {
            var text = File.ReadAllText(agentsFile);
            const int MaxChars = 20_000;
            if (text.Length > MaxChars)
            {
                text = string.Concat(text.AsSpan(0, MaxChars), "\n[AGENTS.md truncated]");
            }

            prompt.Append("\n# Project instructions (AGENTS.md)\n").Append(text.Trim()).Append('\n');
        }

        return prompt.ToString();
    }

    /// <summary>
    /// The stable prefix of every request of a top-level session, as <see cref="AgentHost"/> composes it: the system
    /// prompt and the declarations of the tools the profile allows (built-in, <c>read_output</c>, memory, <c>task</c>).
    /// </summary>
    public static (ChatMessage System, IReadOnlyList<AITool> Tools) Prefix(string workspace, Rein.Profiles.AgentProfile? profile = null)
    {
        // Declarations are data: they do not depend on the clients, stores or runners the tools would use.
        var memory = Rein.Memory.MemoryTools.Create(
            new Rein.Memory.MemoryStore(new Rein.Memory.MemoryStoreOptions { Path = Path.Combine(Path.GetTempPath(), "rein-declarations-only.db") }),
            new Rein.Memory.MemoryVisibility("user", profile?.Name, workspace));
        ITool[] tools =
        [
            .. BuiltInTools.CreateAll(),
            new Rein.Context.ReadOutputTool(new Rein.Context.ContextEngine("", TokenCounters.ForModel("estimate"))),
            .. memory,
            new TaskTool(new DeclarationsOnly()),
        ];
        return (new ChatMessage(ChatRole.System, For(workspace, profile)), new ToolSet(Profiles.ProfileTools.Select(tools, profile)).Declarations);
    }

    private sealed class DeclarationsOnly : ISubAgentRunner
    {
        public ValueTask<SubAgentReport> RunAsync(SubAgentRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("Only the task tool's declaration is used here.");
    }

    /// <summary>The tokens of <see cref="Prefix"/> for a model (o200k, cl100k or an estimate; see <see cref="TokenCounters"/>).</summary>
    public static long PrefixTokens(string workspace, Rein.Profiles.AgentProfile? profile, string model)
    {
        var (system, tools) = Prefix(workspace, profile);
        return ContextTokens.Count(TokenCounters.ForModel(model), [system], tools);
    }
}
