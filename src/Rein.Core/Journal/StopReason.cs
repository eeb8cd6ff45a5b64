namespace Rein.Journal;

/// <summary>Stable snake_case reasons why the agent loop stopped. Scripts may depend on these strings.</summary>
public static class StopReason
{
    /// <summary>The model gave a final answer.</summary>
    public const string Completed = "completed";

    /// <summary>The step limit was reached.</summary>
    public const string MaxSteps = "max_steps";

    /// <summary>The run was cancelled (Ctrl-C); the session is suspended and can be resumed.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The model provider failed after retries.</summary>
    public const string ModelError = "model_error";

    /// <summary>A scripted model ran out of turns.</summary>
    public const string ScriptExhausted = "script_exhausted";

    /// <summary>A replayed model ran out of recorded responses.</summary>
    public const string ReplayExhausted = "replay_exhausted";

    /// <summary>The user ended an interactive session.</summary>
    public const string UserExit = "user_exit";

    /// <summary>A tool call waits for a person's approval; the session is suspended until someone answers.</summary>
    public const string AwaitingApproval = "awaiting_approval";

    /// <summary>A budget (tokens, cost, steps, tool calls or time) was reached.</summary>
    public const string BudgetExceeded = "budget_exceeded";
}
