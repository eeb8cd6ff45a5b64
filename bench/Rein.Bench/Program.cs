using Rein.Bench;

// Usage: dotnet run -c Release --project bench/Rein.Bench -- [steps|journal|guard|e2e] [options]
var command = args.Length > 0 ? args[0] : "all";
var rest = args.Skip(1).ToArray();
switch (command)
{
    case "steps":
        await StepOverheadBenchmark.RunAsync(rest);
        break;
    case "journal":
        await JournalAppendBenchmark.RunAsync(rest);
        break;
    case "guard":
        await GuardBenchmark.RunAsync(rest);
        break;
    case "e2e":
        await EndToEndBenchmark.RunAsync(rest);
        break;
    case "serve-load":
        await ServeLoadBenchmark.RunAsync(rest);
        break;
    case "fake-model":
        await ServeLoadBenchmark.RunFakeModelAsync(rest);
        break;
    case "all":
        await StepOverheadBenchmark.RunAsync(rest);
        await JournalAppendBenchmark.RunAsync(rest);
        break;
    default:
        Console.Error.WriteLine("usage: Rein.Bench [steps|journal|guard|e2e|serve-load|all] [--rein PATH] [--codex PATH] [--runs N] [--sessions 100,1000] [--steady 1000] [--steady-s 15] [--idle N]");
        return 2;
}

return 0;
