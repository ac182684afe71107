using System.Diagnostics;
using Panoramax.Cli;

namespace Panoramax.Bench;

/// <summary>
/// Upload throughput of <c>panoramax-cli upload</c> (in-process, its real entry point) with <c>parallel</c> uploads on
/// loopback: <c>files</c> distinct 3 MB pictures in a folder, against <see cref="UploadBench"/>'s raw multipart client
/// sending as many other pictures into the same upload API in the same run (the ratio is the CLI's own cost: folder
/// walk, set creation and completion, state file, retries, one line per file).
/// </summary>
public static class CliUploadBench
{
    public static async Task<int> RunAsync(int files, int parallel)
    {
        await using var host = await UploadHost.StartAsync();
        using var http = host.Client();
        var raw = UploadHost.Payloads(files);
        var cli = UploadHost.Payloads(files, first: files);
        var totalMb = cli.Sum(p => (long)p.Length) / 1e6;
        var work = Path.Combine(Path.GetTempPath(), $"panoramax-bench-cli-{Environment.ProcessId}");
        var folder = Path.Combine(work, "pictures");
        Directory.CreateDirectory(folder);
        try
        {
            for (var i = 0; i < files; i++)
            {
                await File.WriteAllBytesAsync(Path.Combine(folder, $"IMG_{i:D4}.jpg"), cli[i]);
            }
            Console.WriteLine($"cli-upload: {files} files of {cli[0].Length / 1e6:0.0} MB ({totalMb:0} MB), {parallel} parallel uploads");

            // Warm-up (JIT, connections, first rows) outside both measurements, which would otherwise fall on the first one.
            var warmUp = await UploadHost.CreateSetAsync(http, "bench warm-up", parallel);
            await UploadBench.SendAllAsync(http, UploadHost.Payloads(parallel, first: 2 * files), parallel, _ => $"/api/upload_sets/{warmUp}/files");

            var set = await UploadHost.CreateSetAsync(http, "bench raw client", files);
            var baseline = await UploadBench.SendAllAsync(http, raw, parallel, _ => $"/api/upload_sets/{set}/files");

            var output = TextWriter.Synchronized(new StringWriter());
            var env = new CliEnvironment
            {
                Out = output,
                Error = output,
                ConfigDirectory = Path.Combine(work, "config"),
                Variable = _ => null,
            };
            var sw = Stopwatch.StartNew();
            var code = await CliApp.RunAsync(["upload", folder, "--instance", host.BaseUrl.ToString(), "--parallel", $"{parallel}"], env, CancellationToken.None);
            var elapsed = sw.Elapsed;
            if (code != 0)
            {
                Console.Error.WriteLine($"the CLI failed (exit {code}):\n{output}");
                return code;
            }

            Console.WriteLine($"  baseline (raw multipart client)  {baseline.TotalSeconds,7:0.00} s  {totalMb / baseline.TotalSeconds,7:0.0} MB/s  ({files / baseline.TotalSeconds:0.0} pictures/s)");
            Console.WriteLine($"  panoramax-cli upload             {elapsed.TotalSeconds,7:0.00} s  {totalMb / elapsed.TotalSeconds,7:0.0} MB/s  ({files / elapsed.TotalSeconds:0.0} pictures/s)");
            Console.WriteLine($"  ratio cli / baseline time        {elapsed.TotalSeconds / baseline.TotalSeconds:0.00}x");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
