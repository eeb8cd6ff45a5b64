using System.Text.Json;
using Rein.Guard.Hooks;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Hooks;

/// <summary>A workspace with hook scripts in it and a runner over real processes.</summary>
internal sealed class HookTestKit : IDisposable
{
    private readonly TempDirectory _dir = new("rein-hooks");

    public string Workspace => _dir.Path;

    /// <summary>Writes an executable bash script into the workspace and returns the command that runs it.</summary>
    public string Script(string name, string body)
    {
        var path = _dir.Write(name, "#!/bin/bash\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return "./" + name;
    }

    public string Read(string relativePath) => File.ReadAllText(_dir.Combine(relativePath));

    public bool Exists(string relativePath) => File.Exists(_dir.Combine(relativePath));

    /// <summary>Settings from a <c>hooks</c> section written as JSON.</summary>
    public static HookSettings Settings(string hooksJson, string path = "/test/settings.json")
    {
        using var document = JsonDocument.Parse(hooksJson);
        return HookSettings.FromJson(document.RootElement, path);
    }

    /// <summary>Settings with one group per command for an event, all with the same matcher.</summary>
    public static HookSettings For(string hookEvent, string matcher, params string[] commands) =>
        Settings(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            [hookEvent] = commands.Select(c => new Dictionary<string, object>
            {
                ["matcher"] = matcher,
                ["hooks"] = new[] { new Dictionary<string, object> { ["type"] = "command", ["command"] = c } },
            }).ToArray(),
        }));

    public HookRunner Runner(HookSettings settings, HookRunnerOptions? options = null) =>
        new(settings, new ProcessCommandRunner(), options);

    public HookToolCall ShellCall(string command = "ls -la", string callId = "call-1") =>
        new("s1", Workspace, callId, "shell", Json($$"""{"command":{{JsonSerializer.Serialize(command)}}}"""));

    public static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public void Dispose() => _dir.Dispose();
}
