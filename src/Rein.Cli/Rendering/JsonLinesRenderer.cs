using System.Text.Json.Nodes;
using Rein.Engine;
using Rein.Journal;
using Rein.Server.Views;

namespace Rein.Cli.Rendering;

/// <summary>
/// <c>--json</c> output: every journal event as one JSON object per line (<c>seq</c>, <c>at</c>,
/// <c>type</c> and the event's fields), then a final <c>run_stopped</c> object; with <c>--include-deltas</c>, also the
/// model's text as it streams (<c>text_delta</c>). A model request that is retried adds a
/// <c>model_retrying</c> line (not a journal event: no <c>seq</c>).
/// The format is documented in docs/json-output.md.
/// </summary>
internal sealed class JsonLinesRenderer(TextWriter output, bool includeDeltas = false) : IRunRenderer
{
    private string _sessionId = "";

    /// <summary>One journal event as a line (<see cref="JsonViews.Event"/>).</summary>
    public static string EventLine(string sessionId, RecordedEvent recorded) =>
        JsonViews.Event(sessionId, recorded).ToJsonString(JournalJson.Options);

    public void Render(AgentUpdate update)
    {
        switch (update)
        {
            case EventAppended appended:
                output.WriteLine(EventLine(SessionIdOf(appended), appended.Recorded));
                output.Flush();
                break;
            case TextDelta delta when includeDeltas:
                // Not journaled, so no seq or at: the model_called event that follows holds the whole text.
                output.WriteLine(new JsonObject
                {
                    ["type"] = "text_delta",
                    ["session_id"] = _sessionId,
                    ["text"] = delta.Text,
                }.ToJsonString(JournalJson.Options));
                output.Flush();
                break;
            case ModelRetrying retry:
                output.WriteLine(new JsonObject
                {
                    ["type"] = "model_retrying",
                    ["session_id"] = _sessionId,
                    ["attempt"] = retry.Attempt,
                    ["max_attempts"] = retry.MaxAttempts,
                    ["reason"] = retry.Reason,
                    ["delay_ms"] = (long)retry.Delay.TotalMilliseconds,
                    ["message"] = retry.Text,
                }.ToJsonString(JournalJson.Options));
                output.Flush();
                break;
            default:
                break;
        }
    }

    public void Finish(SessionState state, RunStopped stopped)
    {
        var result = new JsonObject
        {
            ["type"] = "run_stopped",
            ["session_id"] = state.SessionId,
            ["reason"] = stopped.Reason,
            ["detail"] = stopped.Detail,
            ["status"] = state.Status,
            ["text"] = state.LastAssistantText,
            ["steps"] = state.Steps,
            ["tool_calls"] = state.ToolCalls,
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = state.Usage.InputTokens,
                ["output_tokens"] = state.Usage.OutputTokens,
                ["cached_input_tokens"] = state.Usage.CachedInputTokens,
            },
        };
        output.WriteLine(result.ToJsonString(JournalJson.Options));
        output.Flush();
    }

    public void Dispose()
    {
    }

    private string SessionIdOf(EventAppended appended)
    {
        if (appended.Recorded.Event is SessionStarted started)
        {
            _sessionId = started.SessionId;
        }

        return _sessionId;
    }

    /// <summary>Sets the session id for lines before a <see cref="SessionStarted"/> is seen (resumed sessions).</summary>
    public JsonLinesRenderer ForSession(string sessionId)
    {
        _sessionId = sessionId;
        return this;
    }
}
