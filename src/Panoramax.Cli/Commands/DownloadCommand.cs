using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Panoramax.Cli.Commands;

/// <summary>
/// <c>download COLLECTION_ID</c>: every picture of a sequence (pages of <c>/api/collections/{id}/items</c>), as
/// <c>{rank}_{original name}.jpg</c>. Resumable: a file is written as <c>.part</c> and renamed when complete, so a
/// present file is complete and skipped, and a <c>.part</c> left by an interruption is continued with a byte range.
/// </summary>
public static class DownloadCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment env)
    {
        var collection = new Argument<Guid>("COLLECTION_ID") { Description = "Id of the sequence (collection) to download" };
        var output = new Option<string?>("--out", "-o") { Description = "Folder to write the pictures into (default: ./COLLECTION_ID)" };
        var quality = new Option<string>("--quality") { Description = "hd: the full pictures; sd: 2048 px wide versions", DefaultValueFactory = _ => "hd" };
        quality.AcceptOnlyFromAmong("hd", "sd");
        var parallel = GlobalOptions.Parallel("Files downloaded at once");

        var command = new Command("download", "Download every picture of a sequence (resumable)") { collection, output, quality, parallel };
        command.SetAction((parse, ct) => GlobalOptions.GuardAsync(env, async () =>
        {
            var instance = globals.ResolveInstance(parse, env);
            var id = parse.GetValue(collection);
            var dir = Path.GetFullPath(parse.GetValue(output) ?? id.ToString());
            var asset = parse.GetValue(quality)!;
            using var client = new PanoramaxClient(instance, globals.ResolveToken(parse, env, instance), parse.GetValue(parallel));

            var pictures = new List<(string Name, Uri Url)>();
            string? next = $"api/collections/{id}/items?limit=100";
            try
            {
                while (next is not null)
                {
                    var page = await client.GetAsync(next, ct);
                    foreach (var item in page.GetProperty("features").EnumerateArray())
                    {
                        if (Picture(item, asset) is { } p)
                        {
                            pictures.Add((p.Name, client.Url(p.Href)));
                        }
                    }
                    next = Link(page, "next");
                }
            }
            catch (ApiErrorException e) when (e.Status == 404)
            {
                throw new CliException($"Sequence {id} not found on {InstanceUrl.Key(instance)} (or not visible to you)");
            }
            Directory.CreateDirectory(dir);
            await env.Out.WriteLineAsync($"{pictures.Count} pictures of sequence {id} into {dir}");

            var failed = 0;
            var done = 0;
            await ProgressReporter.RunAsync(env, $"Downloading {id}", pictures.Count, async progress =>
            {
                await Parallel.ForEachAsync(pictures, new ParallelOptions { MaxDegreeOfParallelism = parse.GetValue(parallel), CancellationToken = ct },
                    async (p, token) =>
                    {
                        var detail = await FetchAsync(client, p.Url, Path.Combine(dir, p.Name), token);
                        if (detail.StartsWith("FAILED", StringComparison.Ordinal))
                        {
                            Interlocked.Increment(ref failed);
                        }
                        progress.Advance(1);
                        progress.Line($"[{Interlocked.Increment(ref done)}/{pictures.Count}] {p.Name}: {detail}");
                    });
            }, bytes: false);
            if (failed > 0)
            {
                await env.Error.WriteLineAsync($"{failed} picture(s) could not be downloaded: run the same command again to retry them");
                return ExitCodes.SomeFailed;
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static (string Name, string Href)? Picture(JsonElement item, string asset)
    {
        if (!item.TryGetProperty("assets", out var assets) || !assets.TryGetProperty(asset, out var a)
            || a.TryGetProperty("type", out var type) && type.GetString() != "image/jpeg"
            || !a.TryGetProperty("href", out var href))
        {
            return null;
        }
        var props = item.GetProperty("properties");
        var rank = props.TryGetProperty("geovisio:rank_in_collection", out var r) && r.TryGetInt32(out var n) ? n : 0;
        var original = props.TryGetProperty("original_file:name", out var o) && o.ValueKind == JsonValueKind.String ? Safe(o.GetString()!) : null;
        var name = original is { Length: > 0 } ? original : $"{item.GetProperty("id").GetString()}.jpg";
        if (!name.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) && !name.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
        {
            name += ".jpg";
        }
        return (string.Create(CultureInfo.InvariantCulture, $"{rank:D4}_{name}"), href.GetString()!);
    }

    /// <summary>A file name from the server is only a name: no folder part, no characters a file system refuses.</summary>
    private static string Safe(string name)
    {
        var file = Path.GetFileName(name.Replace('\\', '/'));
        foreach (var c in Path.GetInvalidFileNameChars())
        {
            file = file.Replace(c, '_');
        }
        return file.TrimStart('.');
    }

    private static string? Link(JsonElement page, string rel) =>
        page.TryGetProperty("links", out var links) && links.ValueKind == JsonValueKind.Array
            ? links.EnumerateArray().Where(l => l.TryGetProperty("rel", out var r) && r.GetString() == rel)
                .Select(l => l.GetProperty("href").GetString()).FirstOrDefault()
            : null;

    private static async Task<string> FetchAsync(PanoramaxClient client, Uri url, string path, CancellationToken ct)
    {
        if (File.Exists(path))
        {
            return "already downloaded";
        }
        var part = path + ".part";
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        try
        {
            using var response = await client.GetFileAsync(url, have, ct);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The part is already whole (interrupted between the last byte and the rename).
                File.Move(part, path);
                return "downloaded (resumed)";
            }
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                return $"FAILED (HTTP {(int)response.StatusCode}): {PanoramaxClient.MessageOf((int)response.StatusCode, PanoramaxClient.Parse(text), text)}";
            }
            var resumed = response.StatusCode == HttpStatusCode.PartialContent && have > 0;
            await using (var file = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 81_920, FileOptions.Asynchronous))
            {
                await response.Content.CopyToAsync(file, ct);
            }
            File.Move(part, path);
            return resumed ? "downloaded (resumed)" : "downloaded";
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            return $"FAILED: {e.Message}";
        }
    }
}
