using System.Diagnostics;
using System.Globalization;
using Panoramax.Bench;

// Benchmarks print their figure next to a baseline measured in the same run (the machines are noisy).
// Usage: dotnet run -c Release --project bench/Panoramax.Bench -- seed [pictures] [sequences]
//        dotnet run -c Release --project bench/Panoramax.Bench -- tiles [pictures] [sequences] [tiles per zoom]
//        dotnet run -c Release --project bench/Panoramax.Bench -- search [pictures] [sequences] [queries]
//        dotnet run -c Release --project bench/Panoramax.Bench -- imaging
//        dotnet run -c Release --project bench/Panoramax.Bench -- pipeline [runs=3]
//        dotnet run -c Release --project bench/Panoramax.Bench -- pipeline-e2e [pictures=20]
//        dotnet run -c Release --project bench/Panoramax.Bench -- federation [pictures=100000] [changes=50, 0 skips propagation] [copy time limit in s, 0 = none]
//        dotnet run -c Release --project bench/Panoramax.Bench -- fanout [peers=10] [queries=200]
//        dotnet run -c Release --project bench/Panoramax.Bench -- audit [records=500000]
//        dotnet run -c Release --project bench/Panoramax.Bench -- upload [files=200] [clients=4]
//        dotnet run -c Release --project bench/Panoramax.Bench -- export [pictures=1000]
//        dotnet run -c Release --project bench/Panoramax.Bench -- cli-upload [files=200] [parallel=4]
//        dotnet run -c Release --project bench/Panoramax.Bench -- blur-eval [tile=832] [overlap=0.2] [face=0.6] [plate=0.25] ...
var command = args.Length > 0 ? args[0] : "seed";
switch (command)
{
    case "seed":
        await SeedBenchAsync(ParseInt(args, 1, 1_000_000), ParseInt(args, 2, 20_000));
        return 0;
    case "tiles":
        await TilesBench.RunAsync(ParseInt(args, 1, 1_000_000), ParseInt(args, 2, 20_000), ParseInt(args, 3, 200));
        return 0;
    case "search":
        await SearchBench.RunAsync(ParseInt(args, 1, 1_000_000), ParseInt(args, 2, 20_000), ParseInt(args, 3, 500));
        return 0;
    case "imaging":
        return await ImagingBench.RunAsync();
    case "imaging-one":
        // Internal: one derivative step in a fresh process, for the peak-RSS measurement.
        return ImagingBench.RunOne(args[1], args[2]);
    case "pipeline":
        return await PipelineBench.RunAsync(ParseInt(args, 1, 3));
    case "pipeline-e2e":
        return await PipelineEndToEndBench.RunAsync(ParseInt(args, 1, 20));
    case "pipeline-one":
        // Internal: one whole processing job in a fresh process, for the peak-RSS measurement.
        return await PipelineBench.RunOneAsync(args[1]);
    case "federation":
        return await FederationBench.RunAsync(ParseInt(args, 1, 100_000), ParseInt(args, 2, 50), ParseInt(args, 3, 0));
    case "fanout":
        return await FanOutBench.RunAsync(ParseInt(args, 1, 10), ParseInt(args, 2, 200));
    case "audit":
        return await AuditBench.RunAsync(ParseInt(args, 1, 500_000));
    case "blur-eval":
        return await BlurEval.RunAsync(args);
    case "upload":
        return await UploadBench.RunAsync(ParseInt(args, 1, 200), ParseInt(args, 2, 4));
    case "export":
        return await ExportBench.RunAsync(ParseInt(args, 1, 1000));
    case "export-one":
        // Internal: the export job alone in a fresh process, for the peak-RSS measurement.
        return await ExportBench.RunOneAsync(args[1], args[2], Guid.Parse(args[3]), args[4], Guid.Parse(args[5]));
    case "cli-upload":
        return await CliUploadBench.RunAsync(ParseInt(args, 1, 200), ParseInt(args, 2, 4));
    default:
        Console.Error.WriteLine($"unknown benchmark '{command}'; known: seed, search, imaging, pipeline, pipeline-e2e, federation, fanout, audit, blur-eval, tiles, upload, export, cli-upload");
        return 2;
}

static int ParseInt(string[] args, int i, int fallback) =>
    args.Length > i ? int.Parse(args[i], NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

static async Task SeedBenchAsync(int pictures, int sequences)
{
    await using var db = await BenchDatabase.CreateAsync();
    Console.WriteLine($"seed: {pictures:N0} pictures in {sequences:N0} sequences");
    var plan = Seeder.Plan(pictures, sequences);

    // Baseline: the same rows COPYed into a bare table (same columns, no index, no constraint).
    await db.ExecAsync("CREATE TABLE bench_baseline (LIKE pictures)");
    var sw = Stopwatch.StartNew();
    await using (var conn = await db.DataSource.OpenConnectionAsync())
    {
        await Seeder.CopyPicturesAsync(conn, "bench_baseline", plan, Guid.NewGuid(), Guid.NewGuid());
    }
    var baseline = sw.Elapsed;
    await db.ExecAsync("DROP TABLE bench_baseline");

    var seeded = await Seeder.SeedAsync(db.DataSource, plan);
    var rate = seeded.Pictures / seeded.Elapsed.TotalSeconds;
    Console.WriteLine(FormattableString.Invariant($"baseline COPY into a bare table: {baseline.TotalSeconds:F1} s ({pictures / baseline.TotalSeconds:N0} rows/s)"));
    Console.WriteLine(FormattableString.Invariant($"seed into the real schema (all indexes, FKs, sequences too): {seeded.Elapsed.TotalSeconds:F1} s = {rate:N0} pictures/s"));
    Console.WriteLine(FormattableString.Invariant($"ratio real/baseline: {seeded.Elapsed / baseline:F2}x"));
}
