namespace Rein.Telemetry;

/// <summary>Names from the OpenTelemetry GenAI semantic conventions, and Rein's own attributes.</summary>
internal static class GenAi
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string AgentName = "gen_ai.agent.name";
    public const string ConversationId = "gen_ai.conversation.id";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string FinishReasons = "gen_ai.response.finish_reasons";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string CacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";
    public const string CacheCreationInputTokens = "gen_ai.usage.cache_creation.input_tokens";
    public const string TokenType = "gen_ai.token.type";
    public const string ToolName = "gen_ai.tool.name";
    public const string ToolCallId = "gen_ai.tool.call.id";
    public const string ToolType = "gen_ai.tool.type";
    public const string ToolCallArguments = "gen_ai.tool.call.arguments";
    public const string ToolCallResult = "gen_ai.tool.call.result";
    public const string InputMessages = "gen_ai.input.messages";
    public const string OutputMessages = "gen_ai.output.messages";
    public const string ErrorType = "error.type";

    public const string InvokeAgent = "invoke_agent";
    public const string Chat = "chat";
    public const string ExecuteTool = "execute_tool";

    /// <summary>Rein's own attributes.</summary>
    public static class Rein
    {
        public const string Step = "rein.step";
        public const string CostUsd = "rein.cost_usd";
        public const string ContextTokens = "rein.context_tokens";
        public const string StopReason = "rein.stop_reason";
        public const string StopDetail = "rein.stop_detail";
        public const string Principal = "rein.principal";
        public const string Origin = "rein.origin";
        public const string ParentSessionId = "rein.parent_session_id";
        public const string PolicyDecision = "rein.policy.decision";
        public const string PolicyRule = "rein.policy.rule";
        public const string PolicySource = "rein.policy.source";
        public const string PolicyMode = "rein.policy.mode";
        public const string Approval = "rein.approval";
        public const string ApprovalBy = "rein.approval.by";
        public const string Sandbox = "rein.sandbox";
        public const string EgressRefused = "rein.sandbox.egress_refused";
        public const string ToolOutcome = "rein.tool.outcome";
        public const string ToolTruncated = "rein.tool.truncated";
        public const string Incomplete = "rein.incomplete";
    }

    /// <summary>Metric names.</summary>
    public static class Metrics
    {
        public const string TokenUsage = "gen_ai.client.token.usage";
        public const string OperationDuration = "gen_ai.client.operation.duration";
        public const string ToolDuration = "rein.tool.duration";
    }
}
