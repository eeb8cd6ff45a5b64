using System.Text.Json;
using Rein.Testing;

namespace Rein.Tools.Tests;

/// <summary>Calls tools the way the loop does, against a temp workspace.</summary>
internal static class ToolHarness
{
    public static ToolContext Context(TempDirectory workspace, string sessionId = "s1") => new(sessionId, workspace.Path);

    public static ValueTask<ToolResult> InvokeAsync(this ITool tool, TempDirectory workspace, object arguments, string sessionId = "s1") =>
        tool.InvokeAsync(new ToolInvocation("call-1", JsonSerializer.SerializeToElement(arguments), Context(workspace, sessionId)), TestContext.Current.CancellationToken);

    public static ValueTask<ToolResult> InvokeJsonAsync(this ITool tool, TempDirectory workspace, string json)
    {
        using var document = JsonDocument.Parse(json);
        return tool.InvokeAsync(new ToolInvocation("call-1", document.RootElement.Clone(), Context(workspace)), TestContext.Current.CancellationToken);
    }

    /// <summary>A second temp folder standing for "outside the workspace".</summary>
    public static TempDirectory Outside() => new("rein-outside");
}
