using Json.Schema;
using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class TodoWriteToolTests
{
    [Fact]
    public async Task InvokeAsync_Todos_RendersChecklistAndKeepsPlanPerSession()
    {
        using var root = new TempDirectory();
        var tool = new TodoWriteTool();
        TodoListChangedEventArgs? changed = null;
        tool.Changed += (_, e) => changed = e;

        var result = await tool.InvokeAsync(root, new
        {
            todos = new[]
            {
                new { content = "Read the code", status = "completed" },
                new { content = "Write the tool", status = "in_progress" },
                new { content = "Test it", status = "pending" },
            },
        });

        Assert.False(result.IsError);
        Assert.Equal("Plan updated (1 of 3 completed):\n[x] Read the code\n[~] Write the tool\n[ ] Test it", result.Content);
        Assert.Equal(
            [new TodoItem("Read the code", TodoStatus.Completed), new TodoItem("Write the tool", TodoStatus.InProgress), new TodoItem("Test it", TodoStatus.Pending)],
            tool.GetTodos("s1"));
        Assert.Empty(tool.GetTodos("other-session"));
        Assert.Equal("s1", changed!.SessionId);
        Assert.Equal(3, changed.Todos.Count);
    }

    [Fact]
    public async Task InvokeAsync_SecondCall_ReplacesPlan()
    {
        using var root = new TempDirectory();
        var tool = new TodoWriteTool();
        await tool.InvokeAsync(root, new { todos = new[] { new { content = "a", status = "pending" } } });

        var result = await tool.InvokeAsync(root, new { todos = Array.Empty<object>() });

        Assert.Equal("Plan cleared.", result.Content);
        Assert.Empty(tool.GetTodos("s1"));
    }

    [Fact]
    public async Task InvokeAsync_UnknownStatus_ReturnsErrorAndKeepsPlan()
    {
        using var root = new TempDirectory();
        var tool = new TodoWriteTool();
        await tool.InvokeAsync(root, new { todos = new[] { new { content = "a", status = "pending" } } });

        var result = await tool.InvokeAsync(root, new { todos = new[] { new { content = "a", status = "done" } } });

        Assert.True(result.IsError);
        Assert.Single(tool.GetTodos("s1"));
    }
}

public sealed class BuiltInToolsTests
{
    [Fact]
    public void CreateAll_ReturnsEightToolsInStableOrder()
    {

        var tools = BuiltInTools.CreateAll();

        Assert.Equal(
            ["read_file", "write_file", "edit_file", "list_files", "grep", "shell", "fetch_url", "todo_write"],
            tools.Select(t => t.Definition.Name));
        Assert.Equal(8, new ToolSet(tools).Declarations.Count);
    }

    [Fact]
    public void CreateAll_Schemas_AreStrictObjectSchemas()
    {

        foreach (var tool in BuiltInTools.CreateAll())
        {
            var schema = tool.Definition.ParametersSchema;
            Assert.Equal("object", schema.GetProperty("type").GetString());
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
            _ = JsonSchema.FromText(schema.GetRawText());
            Assert.True(tool.Definition.Description.Length < 200, tool.Definition.Name);
        }
    }

    [Fact]
    public void CreateAll_ReadOnlyFlags_MatchSideEffects()
    {

        var readOnly = BuiltInTools.CreateAll().Where(t => t.Definition.ReadOnly).Select(t => t.Definition.Name);

        Assert.Equal(["read_file", "list_files", "grep", "fetch_url", "todo_write"], readOnly);
    }

    [Fact]
    public void Schemas_RejectUnknownArguments()
    {
        var schema = JsonSchema.FromText(new ReadFileTool().Definition.ParametersSchema.GetRawText());

        var result = schema.Evaluate(System.Text.Json.JsonSerializer.SerializeToElement(new { path = "a", bogus = 1 }));

        Assert.False(result.IsValid);
    }
}
