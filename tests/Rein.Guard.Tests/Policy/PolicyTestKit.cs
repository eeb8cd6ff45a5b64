using System.Text.Json;
using Rein.Guard.Policy;

namespace Rein.Guard.Tests.Policy;

internal static class PolicyTestKit
{
    public const string Workspace = "/work/ws";
    public const string Home = "/home/u";

    private static readonly HashSet<string> ReadOnlyTools = ["read_file", "grep", "list_files", "fetch_url"];

    /// <summary>Rules as "decision text", e.g. "deny shell(rm -rf *)"; source project.</summary>
    public static PolicyEngine NewEngine(string mode, params string[] rules) =>
        new(new PolicyOptions
        {
            Workspace = Workspace,
            HomeDirectory = Home,
            Mode = mode,
            Rules = [.. rules.Select(r => Rule(r))],
        });

    public static PermissionRule Rule(string spec, string source = "project")
    {
        var space = spec.IndexOf(' ', StringComparison.Ordinal);
        return new PermissionRule(spec[..space], spec[(space + 1)..], source);
    }

    public static PolicyVerdict Shell(this PolicyEngine engine, string command, params string[] sessionRules) =>
        engine.Evaluate(new PolicyRequest("shell", Args(new { command }), false, sessionRules));

    public static PolicyVerdict Call(this PolicyEngine engine, string tool, object arguments, bool? readOnly = null, params string[] sessionRules) =>
        engine.Evaluate(new PolicyRequest(tool, Args(arguments), readOnly ?? ReadOnlyTools.Contains(tool), sessionRules));

    public static PolicyVerdict Write(this PolicyEngine engine, string path) => engine.Call("write_file", new { path, content = "x" });

    public static JsonElement Args(object value) => JsonSerializer.SerializeToElement(value);

    public static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
