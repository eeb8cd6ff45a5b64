using System.Text.Json;
using Rein.Hosting.Configuration;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Guard.Budgets;
using Rein.Guard.Hooks;
using Rein.Guard.Policy;
using Rein.Guard.Sandbox;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Hosting.Composition;

/// <summary>
/// The production guards of one run, built from the settings files and flags: the permission policy,
/// the sandbox that runs commands and hooks, hooks, budgets and prices.
/// </summary>
internal sealed class GuardSetup
{
    private GuardSetup(PolicyEngine policy, ICommandRunner commandRunner, string? sandboxDisabled, HookRunner hooks, BudgetGuard budget, PriceTable prices, IReadOnlyList<string> warnings)
    {
        Policy = policy;
        CommandRunner = commandRunner;
        SandboxDisabled = sandboxDisabled;
        Hooks = hooks;
        Budget = budget;
        Prices = prices;
        Warnings = warnings;
    }

    public PolicyEngine Policy { get; }

    /// <summary>Runs shell commands and hooks: bubblewrap, or the plain process runner with <c>--sandbox none</c>.</summary>
    public ICommandRunner CommandRunner { get; }

    /// <summary>Why commands run without the sandbox (journaled as <see cref="SandboxDisabled"/>), or null when sandboxed.</summary>
    public string? SandboxDisabled { get; }

    public HookRunner Hooks { get; }

    public BudgetGuard Budget { get; }

    public PriceTable Prices { get; }

    /// <summary>Things the user should know about the settings (e.g. ignored managed allow rules).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <param name="redactor">The session's secret redactor: hook output is cut around the values it redacts.</param>
    /// <param name="share">A sub-agent's share of its parent's budgets, which replaces the budget limits from the settings; null to keep them.</param>
    /// <param name="loggerFactory">Where the guards log; null for nowhere.</param>
    /// <exception cref="SettingsException">A guard section of a settings file is invalid.</exception>
    public static GuardSetup Create(ResolvedSettings settings, string workspace, ISessionStore store, string? modeOverride, TimeProvider time, IOutputRedactor redactor, BudgetReservation? share = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        var documents = settings.Documents;
        try
        {
            var policyOptions = PolicyOptionsBuilder.Combine(
                workspace,
                [.. documents.Select(d => PolicyConfig.Read(d.Root, d.Source, d.Path))],
                settings.Values.Environment,
                settings.Values.Mode ?? modeOverride);
            var policy = new PolicyEngine(policyOptions);

            var (runner, disabled) = CreateCommandRunner(settings, workspace);
            var hooks = new HookRunner(
                HookSettings.Merge(documents.Select(d => Section(d, "hooks") is { } h ? HookSettings.FromJson(h, d.Path) : HookSettings.Empty)),
                runner,
                new HookRunnerOptions { PermissionMode = policy.Mode, Redactor = redactor },
                time);

            var prices = PriceTable.BuiltIn;
            var limits = BudgetLimits.None;
            foreach (var document in documents)
            {
                if (Section(document, "prices") is { } p)
                {
                    prices = prices.WithOverrides(p, document.Path);
                }

                if (Section(document, "budgets") is { } b)
                {
                    limits = limits.Overlay(BudgetLimits.FromJson(b, document.Path));
                }
            }

            var values = settings.Values;
            limits = limits.Overlay(new BudgetLimits { MaxTokens = values.MaxTokens, MaxCostUsd = values.MaxCostUsd, MaxTime = values.MaxTime });
            limits = share?.Limits ?? limits;
            var budget = new BudgetGuard(new BudgetGuardOptions { Limits = limits, Prices = prices, Ledger = new SessionStoreUsageLedger(store, time), ShareOf = share?.SessionId }, time, loggerFactory);
            return new GuardSetup(policy, runner, disabled, hooks, budget, prices, policyOptions.Warnings);
        }
        catch (Exception ex) when (ex is PolicyConfigException or HookConfigException or FormatException)
        {
            throw new SettingsException(ex.Message);
        }
    }

    /// <summary>Adds the guard stages to a loop's tool-call pipeline, outermost first.</summary>
    public void Configure(ToolCallPipelineBuilder pipeline, IApprovalChannel? approvals, ApprovalOptions approvalOptions)
    {
        pipeline
            .UsePreToolUseHooks(Hooks)
            .UsePolicy(Policy, approvals, approvalOptions, async (call, request, ct) =>
            {
                var outcome = await Hooks.RunApprovalRequestedAsync(
                    new HookToolCall(call.Session.SessionId, call.Context.WorkspaceRoot, call.Request.Id, call.Request.Name, call.Arguments), request.Reason, ct).ConfigureAwait(false);
                if (outcome.Events.Count > 0)
                {
                    await call.Session.AppendAsync([.. outcome.Events], AppendDurability.Written, CancellationToken.None).ConfigureAwait(false);
                }
            })
            .UseToolCallBudget(Budget)
            .UsePostToolUseHooks(Hooks);
    }

    /// <summary>The runner of shell commands and hooks for these settings; eval graders use it too, so they run as the agent's commands did.</summary>
    /// <exception cref="FormatException">A sandbox section is invalid.</exception>
    public static (ICommandRunner Runner, string? Disabled) CreateCommandRunner(ResolvedSettings settings, string workspace)
    {
        // Read even with --sandbox none: the environment allow-list (sandbox.env) applies to unsandboxed commands too.
        var options = SandboxOptionsFor(settings);
        if (settings.Values.Sandbox == "none")
        {
            return (
                new ProcessCommandRunner(environment: new CommandEnvironment(options.EnvironmentNames)),
                settings.SandboxOffReason ?? "--sandbox none: shell commands and hooks run WITHOUT isolation, with full access to this machine as the current user.");
        }

        // Rein's own files: the journal and the secret store and its key are never visible to commands.
        options.HiddenPaths.Add(settings.StorePath);
        options.HiddenPaths.Add(ReinPaths.SecretsFile(Environment.GetEnvironmentVariable));
        options.HiddenPaths.Add(ReinPaths.SecretsKeyFile(Environment.GetEnvironmentVariable));
        return (new BubblewrapCommandRunner(workspace, options), null);
    }

    /// <summary>The sandbox section of the settings (the last file that has one wins), or the defaults.</summary>
    /// <exception cref="FormatException">A sandbox section is invalid.</exception>
    public static SandboxOptions SandboxOptionsFor(ResolvedSettings settings)
    {
        var options = new SandboxOptions();
        foreach (var document in settings.Documents)
        {
            if (Section(document, "sandbox") is { } section)
            {
                options = SandboxOptions.FromJson(section, document.Path);
            }
        }

        return options;
    }

    private static JsonElement? Section(SettingsDocument document, string name) =>
        document.Root.TryGetProperty(name, out var section) && section.ValueKind != JsonValueKind.Null ? section : null;
}
