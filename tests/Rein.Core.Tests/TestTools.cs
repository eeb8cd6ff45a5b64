using System.Text.Json;
using Rein.Tools;

namespace Rein.Core.Tests;

/// <summary>A tool whose behaviour each test sets through a callback.</summary>
internal sealed class FakeTool(string name, Func<ToolInvocation, CancellationToken, ValueTask<ToolResult>> onInvoke, string? schema = null, bool readOnly = false) : ITool
{
    private int _calls;

    public ToolDefinition Definition { get; } = new(
        name,
        $"Test tool {name}.",
        JsonDocument.Parse(schema ?? """{"type":"object","properties":{"text":{"type":"string"}},"required":["text"],"additionalProperties":false}""").RootElement.Clone(),
        readOnly);

    public int Calls => _calls;

    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return onInvoke(invocation, cancellationToken);
    }

    public static FakeTool Echo(string name = "echo") =>
        new(name, (inv, _) => ValueTask.FromResult(ToolResult.Ok("echo: " + inv.Arguments.GetProperty("text").GetString())));
}
