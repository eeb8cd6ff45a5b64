using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Rein.Tools.Tests;

/// <summary>Schemas and declarations shared across sessions: the same tool built twice is shown to the model by one object.</summary>
public sealed class ToolSchemasTests
{
    [Fact]
    public void ToolSet_TwoSessionsBuildTheBuiltInTools_ShareEveryDeclaration()
    {
        var first = new ToolSet(BuiltInTools.CreateAll());
        var second = new ToolSet(BuiltInTools.CreateAll());

        Assert.Equal(first.Declarations.Count, second.Declarations.Count);
        for (var i = 0; i < first.Declarations.Count; i++)
        {
            Assert.Same(first.Declarations[i], second.Declarations[i]);
        }

        var readFile = Assert.IsAssignableFrom<AIFunctionDeclaration>(first.Declarations[0]);
        Assert.Equal("read_file", readFile.Name);
        Assert.Equal(first.Tools[0].Definition.Description, readFile.Description);
        Assert.True(JsonElement.DeepEquals(first.Tools[0].Definition.ParametersSchema, readFile.JsonSchema));
    }

    [Fact]
    public void Parse_SameText_ReturnsOneSharedElement()
    {
        const string Text = """{"type":"object","properties":{"q":{"type":"string"}}}""";

        var first = ToolSchemas.Parse(Text);
        var second = ToolSchemas.Parse(new string(Text.AsSpan()));
        using var fresh = JsonDocument.Parse(Text);

        // JsonElement equality is identity of its document and position.
        Assert.True(first.Equals(second));
        Assert.False(first.Equals(fresh.RootElement));
        Assert.Equal("object", first.GetProperty("type").GetString());
    }

    [Fact]
    public void Parse_InvalidJson_Throws()
    {
        Assert.ThrowsAny<JsonException>(() => ToolSchemas.Parse("{\"type\":"));
    }

    [Fact]
    public void Declaration_SameContentFromDifferentDocuments_IsShared_OtherNameOrDescriptionOrSchemaIsNot()
    {
        var schema = JsonElement.Parse("""{"type":"object","properties":{"path":{"type":"string"}}}""");
        var sameContent = JsonElement.Parse("""{ "type": "object", "properties": { "path": { "type": "string" } } }""");
        var otherSchema = JsonElement.Parse("""{"type":"object","properties":{"path":{"type":"integer"}}}""");

        var declaration = ToolSchemas.Declaration(new ToolDefinition("shared_probe", "Probes.", schema));

        Assert.Same(declaration, ToolSchemas.Declaration(new ToolDefinition("shared_probe", "Probes.", sameContent, ReadOnly: true)));
        Assert.NotSame(declaration, ToolSchemas.Declaration(new ToolDefinition("shared_probe_2", "Probes.", schema)));
        Assert.NotSame(declaration, ToolSchemas.Declaration(new ToolDefinition("shared_probe", "Probes more.", schema)));
        var other = ToolSchemas.Declaration(new ToolDefinition("shared_probe", "Probes.", otherSchema));
        Assert.NotSame(declaration, other);
        Assert.Equal("integer", other.JsonSchema.GetProperty("properties").GetProperty("path").GetProperty("type").GetString());
    }

    [Fact]
    public void Declaration_MoreDistinctToolsThanTheCacheKeeps_EachStillGetsItsOwn()
    {
        var schema = JsonElement.Parse("""{"type":"object"}""");
        var count = ToolSchemas.MaxEntries + 10;

        var declarations = Enumerable.Range(0, count)
            .Select(i => ToolSchemas.Declaration(new ToolDefinition($"many_{i}", $"Tool {i}.", schema)))
            .ToList();

        Assert.Equal(count, declarations.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(declarations, (d, i) => Assert.Equal($"Tool {i}.", d.Description));
        Assert.Equal("many_3", ToolSchemas.Declaration(new ToolDefinition("many_3", "Tool 3.", schema)).Name);
    }
}
