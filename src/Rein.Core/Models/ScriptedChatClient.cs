using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Journal;

namespace Rein.Models;

/// <summary>
/// An offline model that plays back a fixed list of turns, for deterministic sessions, demos and tests.
/// </summary>
/// <remarks>
/// The turn played is the number of assistant messages already in the conversation, so a resumed
/// session continues where it stopped. When the turns run out the session ends with
/// <see cref="StopReason.ScriptExhausted"/>. The file format is
/// <c>{"turns":[{"text":"…","tool_calls":[{"name":"write_file","arguments":{…}}]}]}</c>;
/// a tool call may give <c>arguments_raw</c> (a string sent as-is) instead of <c>arguments</c>,
/// and a turn may give <c>usage</c> (<c>input_tokens</c>, <c>output_tokens</c>, <c>cached_input_tokens</c>).
/// </remarks>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly IReadOnlyList<ScriptedTurn> _turns;
    private readonly string _name;
    private readonly string _exhaustedReason;

    /// <summary>Creates a client that plays the given turns.</summary>
    /// <param name="turns">The turns, in order.</param>
    /// <param name="name">A name for the script, used in messages and as the model id.</param>
    /// <param name="exhaustedReason">The stop reason when the turns run out. Default: <see cref="StopReason.ScriptExhausted"/>.</param>
    public ScriptedChatClient(IReadOnlyList<ScriptedTurn> turns, string name = "scripted", string exhaustedReason = StopReason.ScriptExhausted)
    {
        ArgumentNullException.ThrowIfNull(turns);
        _turns = turns;
        _name = name;
        _exhaustedReason = exhaustedReason;
    }

    /// <summary>Gets the turns.</summary>
    public IReadOnlyList<ScriptedTurn> Turns => _turns;

    /// <summary>Loads a script file.</summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The client.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not a valid script; the message names the file, line and problem.</exception>
    public static ScriptedChatClient FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Script file '{path}' does not exist.", path);
        }

        return new ScriptedChatClient(ScriptedTurn.ParseScript(File.ReadAllText(path), path), $"scripted:{Path.GetFileName(path)}");
    }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new ChatResponse(Next(messages).ToMessage())
        {
            ModelId = _name,
            FinishReason = ChatFinishReason.Stop,
        });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var turn = Next(messages);
        await Task.Yield();
        foreach (var update in turn.ToUpdates(_name))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, _name)
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private ScriptedTurn Next(IEnumerable<ChatMessage> messages)
    {
        // Turns a compaction summary replaced still count: the summary names the last step it replaced.
        var index = Engine.CompactionHeader.CountTurns(messages);
        return index < _turns.Count
            ? _turns[index]
            : throw new ModelExhaustedException(_exhaustedReason, $"{_name} has no turn {index + 1} (it has {_turns.Count}).");
    }
}

/// <summary>One scripted model turn.</summary>
/// <param name="Text">The assistant text, if any.</param>
/// <param name="ToolCalls">The tool calls, if any.</param>
/// <param name="Usage">The usage to report, if any.</param>
public sealed record ScriptedTurn(string? Text, IReadOnlyList<ModelToolCall> ToolCalls, TokenUsage? Usage = null)
{
    /// <summary>Parses a script.</summary>
    /// <param name="json">The script text.</param>
    /// <param name="source">Where the text came from, for error messages.</param>
    /// <returns>The turns.</returns>
    /// <exception cref="FormatException">The text is not a valid script.</exception>
    public static IReadOnlyList<ScriptedTurn> ParseScript(string json, string source = "script")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new FormatException(ErrorText.Json(ex, source), ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("turns", out var turns)
                || turns.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"{source}: a script is an object with a \"turns\" array, e.g. {{\"turns\":[{{\"text\":\"done\"}}]}}.");
            }

            var result = new List<ScriptedTurn>();
            var turnNumber = 0;
            foreach (var turn in turns.EnumerateArray())
            {
                turnNumber++;
                result.Add(ParseTurn(turn, $"{source}: turn {turnNumber}", turnNumber));
            }

            return result;
        }
    }

    /// <summary>Gets the turn as a complete assistant message.</summary>
    /// <returns>The message.</returns>
    public ChatMessage ToMessage()
    {
        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(Text))
        {
            contents.Add(new TextContent(Text));
        }

        contents.AddRange(ToolCalls.Select(ToContent));
        if (Usage is { } usage)
        {
            contents.Add(new UsageContent(ToDetails(usage)));
        }

        return new ChatMessage(ChatRole.Assistant, contents);
    }

    /// <summary>Gets the turn as streamed updates: text in small pieces, then the tool calls and usage.</summary>
    /// <param name="modelId">The model id to report.</param>
    /// <returns>The updates.</returns>
    public IEnumerable<ChatResponseUpdate> ToUpdates(string modelId)
    {
        var responseId = $"resp_{Guid.NewGuid():N}";
        if (!string.IsNullOrEmpty(Text))
        {
            const int Chunk = 16;
            for (var i = 0; i < Text.Length; i += Chunk)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, Text.Substring(i, Math.Min(Chunk, Text.Length - i)))
                {
                    ModelId = modelId,
                    ResponseId = responseId,
                };
            }
        }

        var tail = new List<AIContent>(ToolCalls.Select(ToContent));
        if (Usage is { } usage)
        {
            tail.Add(new UsageContent(ToDetails(usage)));
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, tail)
        {
            ModelId = modelId,
            ResponseId = responseId,
            FinishReason = ToolCalls.Count > 0 ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
        };
    }

    private static UsageDetails ToDetails(TokenUsage usage) => new()
    {
        InputTokenCount = usage.InputTokens,
        OutputTokenCount = usage.OutputTokens,
        CachedInputTokenCount = usage.CachedInputTokens,
        TotalTokenCount = usage.InputTokens + usage.OutputTokens,
    };

    private static FunctionCallContent ToContent(ModelToolCall call)
    {
        if (call.ArgumentsError is not null)
        {
            return new FunctionCallContent(call.Id, call.Name) { Exception = new FormatException(call.ArgumentsError) };
        }

        Dictionary<string, object?>? arguments = null;
        if (call.Arguments is { ValueKind: JsonValueKind.Object } obj)
        {
            arguments = obj.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
        }

        return new FunctionCallContent(call.Id, call.Name, arguments);
    }

    private static ScriptedTurn ParseTurn(JsonElement turn, string where, int turnNumber)
    {
        if (turn.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where}: each turn must be an object with \"text\" and/or \"tool_calls\".");
        }

        string? text = null;
        if (turn.TryGetProperty("text", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            // A script may hold what a model can send, a lone surrogate included; it reads as U+FFFD, like the loop reads it.
            text = t.ValueKind == JsonValueKind.String ? LoneSurrogates.ReplaceIn(t).GetString() : throw new FormatException($"{where}: \"text\" must be a string.");
        }

        var calls = new List<ModelToolCall>();
        if (turn.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind != JsonValueKind.Null)
        {
            if (toolCalls.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"{where}: \"tool_calls\" must be an array.");
            }

            var callNumber = 0;
            foreach (var call in toolCalls.EnumerateArray())
            {
                callNumber++;
                calls.Add(ParseCall(call, $"{where}, tool call {callNumber}", $"call_{turnNumber}_{callNumber}"));
            }
        }

        if (text is null && calls.Count == 0)
        {
            throw new FormatException($"{where}: a turn needs \"text\" or \"tool_calls\".");
        }

        TokenUsage? usage = null;
        if (turn.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
        {
            usage = new TokenUsage(ReadLong(u, "input_tokens"), ReadLong(u, "output_tokens"), ReadLong(u, "cached_input_tokens"));
        }

        return new ScriptedTurn(text, calls, usage);
    }

    private static ModelToolCall ParseCall(JsonElement call, string where, string defaultId)
    {
        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"{where}: a tool call is an object with a \"name\" string and an \"arguments\" object.");
        }

        var id = call.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : defaultId;
        if (call.TryGetProperty("arguments_raw", out var raw) && raw.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var parsed = JsonDocument.Parse(raw.GetString()!);
                return new ModelToolCall(id, name.GetString()!, parsed.RootElement.Clone());
            }
            catch (JsonException ex)
            {
                return new ModelToolCall(id, name.GetString()!, null, $"the arguments are not valid JSON ({ErrorText.JsonProblem(ex)})");
            }
        }

        JsonElement? arguments = call.TryGetProperty("arguments", out var a) ? a.Clone() : EmptyObject;
        return new ModelToolCall(id, name.GetString()!, arguments);
    }

    private static JsonElement EmptyObject { get; } = JsonDocument.Parse("{}").RootElement.Clone();

    private static long ReadLong(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;
}
