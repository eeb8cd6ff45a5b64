using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Rein.Tools;

/// <summary>The state of a plan item.</summary>
public enum TodoStatus
{
    /// <summary>Not started (<c>pending</c>).</summary>
    Pending,

    /// <summary>Being worked on (<c>in_progress</c>).</summary>
    InProgress,

    /// <summary>Done (<c>completed</c>).</summary>
    Completed,
}

/// <summary>One item of the agent's plan.</summary>
/// <param name="Content">What to do.</param>
/// <param name="Status">How far it is.</param>
public sealed record TodoItem(string Content, TodoStatus Status);

/// <summary>Raised when a session's plan is replaced.</summary>
/// <param name="sessionId">The session.</param>
/// <param name="todos">The new plan.</param>
public sealed class TodoListChangedEventArgs(string sessionId, IReadOnlyList<TodoItem> todos) : EventArgs
{
    /// <summary>Gets the session whose plan changed.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>Gets the new plan.</summary>
    public IReadOnlyList<TodoItem> Todos { get; } = todos;
}

/// <summary>The <c>todo_write</c> tool: replaces the agent's plan and returns it as a checklist.</summary>
/// <remarks>
/// The current plan is kept per session in this instance so a UI can show it (<see cref="GetTodos"/>,
/// <see cref="Changed"/>). It is not persisted: the tool calls in the journal are the durable record. Thread-safe;
/// <see cref="Changed"/> is raised on the calling thread.
/// </remarks>
public sealed class TodoWriteTool : ITool
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<TodoItem>> _plans = new(StringComparer.Ordinal);

    /// <summary>Creates the tool.</summary>
    public TodoWriteTool()
    {
        Definition = new ToolDefinition(
            "todo_write",
            "Replace your task plan (the full list each time). Use for multi-step work; keep one item in_progress.",
            ToolArguments.Schema("""
                {"type":"object","properties":{
                "todos":{"type":"array","items":{"type":"object","properties":{
                "content":{"type":"string","minLength":1},
                "status":{"enum":["pending","in_progress","completed"]}},
                "required":["content","status"],"additionalProperties":false}}},
                "required":["todos"],"additionalProperties":false}
                """),
            ReadOnly: true);
    }

    /// <summary>Raised after a session's plan is replaced.</summary>
    public event EventHandler<TodoListChangedEventArgs>? Changed;

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <summary>Gets a session's current plan.</summary>
    /// <param name="sessionId">The session.</param>
    /// <returns>The plan, or an empty list when the session has none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sessionId"/> is null.</exception>
    public IReadOnlyList<TodoItem> GetTodos(string sessionId)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        return _plans.TryGetValue(sessionId, out var todos) ? todos : [];
    }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => ValueTask.FromResult(Write(invocation)));
    }

    private ToolResult Write(ToolInvocation invocation)
    {
        if (!ToolArguments.TryGet(invocation.Arguments, "todos", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return ToolResult.Error("Argument 'todos' must be an array of {content, status}.");
        }

        var todos = new List<TodoItem>();
        foreach (var item in array.EnumerateArray())
        {
            var content = ToolArguments.RequiredString(item, "content").Trim();
            var status = ToolArguments.RequiredString(item, "status") switch
            {
                "pending" => TodoStatus.Pending,
                "in_progress" => TodoStatus.InProgress,
                "completed" => TodoStatus.Completed,
                var other => throw new ToolArgumentException($"Unknown status '{other}'; use pending, in_progress or completed."),
            };
            todos.Add(new TodoItem(content, status));
        }

        IReadOnlyList<TodoItem> plan = todos.AsReadOnly();
        _plans[invocation.Context.SessionId] = plan;
        Changed?.Invoke(this, new TodoListChangedEventArgs(invocation.Context.SessionId, plan));
        return ToolResult.Ok(Render(plan));
    }

    private static string Render(IReadOnlyList<TodoItem> todos)
    {
        if (todos.Count == 0)
        {
            return "Plan cleared.";
        }

        var done = todos.Count(t => t.Status == TodoStatus.Completed);
        var text = new StringBuilder($"Plan updated ({done} of {todos.Count} completed):");
        foreach (var todo in todos)
        {
            var box = todo.Status switch
            {
                TodoStatus.Pending => "[ ]",
                TodoStatus.InProgress => "[~]",
                TodoStatus.Completed => "[x]",
                _ => throw new InvalidOperationException($"Unknown status {todo.Status}."),
            };
            text.Append('\n').Append(box).Append(' ').Append(todo.Content);
        }

        return text.ToString();
    }
}
