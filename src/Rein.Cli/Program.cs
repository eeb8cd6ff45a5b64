using System.CommandLine;
using Rein.Cli;
using Rein.Cli.Commands;

Console.OutputEncoding = System.Text.Encoding.UTF8;
// Before anything is printed: model and tool text must never reach the terminal as control sequences.
Rein.Cli.Rendering.TerminalOutput.Install();
if (Console.IsOutputRedirected)
{
    // Pipes and logs get whole rows, not rows wrapped at a guessed 80-column terminal.
    Spectre.Console.AnsiConsole.Profile.Width = 240;
}

// Disposed last, on every way out of Main: flushes spans and metrics when OTLP export is on.
using var telemetry = Rein.Hosting.Composition.TelemetrySetup.Start(Environment.GetEnvironmentVariable);
using var interrupts = new Interrupts();
var root = new RootCommand($"""
    rein — an agent harness. Runs a coding agent in a workspace with a durable session journal:
    every model call and tool call is recorded, so sessions can be listed, inspected, resumed and replayed.

    Settings come from flags, then REIN_* environment variables (REIN_MODEL, REIN_STORE, REIN_BASE_URL, REIN_MAX_STEPS),
    then .rein/settings.json in the workspace, then settings.json in the user's config folder (~/.config/rein).
    A workspace's own settings only tighten yours until you trust the folder: rein trust [DIR] (see rein trust --help).
    Keys: OPENAI_API_KEY, ANTHROPIC_API_KEY (never written to the journal).

    {ExitCodes.HelpText}
    """)
{
    RunCommand.Create(interrupts),
    ChatCommand.Create(interrupts),
    SessionsCommand.Create(interrupts),
    SessionsCommand.CreateResume("resume", interrupts),
    DemoCommand.Create(interrupts),
    ApprovalsCommand.Create(interrupts),
    PrincipalsCommand.Create(),
    AgentsCommand.Create(),
    SecretsCommand.Create(),
    MemoryCommand.Create(),
    RewindCommand.Create(),
    DiffCommand.Create(),
    BenchCommand.Create(),
    TraceCommand.Create(),
    CostCommand.Create(),
    EvalCommand.Create(),
    ReplayCommand.Create(),
    TrustCommand.Create(),
    McpCommand.Create(interrupts),
    AcpCommand.Create(),
    ServeCommand.Create(interrupts),
};

var help = root.Options.OfType<System.CommandLine.Help.HelpOption>().Single();
help.Action = new SummaryHelpAction((System.CommandLine.Help.HelpAction)help.Action!);

// Ctrl-C is handled by Interrupts so a run can journal its suspension before exiting.
// Claude Code's one-shot form, rein -p "…", is rein run -p "…"; rein -c continues the newest session; bare rein on a terminal chats.
var parse = root.Parse(EntryArguments.Rewrite(args, terminal: !Console.IsInputRedirected && !Console.IsOutputRedirected));
if (CommandErrors.TryReportValueErrors(parse))
{
    return ExitCodes.Usage;
}

var exitCode = await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

// A command line that does not parse (unknown command or option, missing argument) is a usage error.
return parse.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
