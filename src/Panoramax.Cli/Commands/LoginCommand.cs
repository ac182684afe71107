using System.CommandLine;
using System.Text.Json;

namespace Panoramax.Cli.Commands;

/// <summary>
/// <c>login</c>: GeoVisio's token flow for programs that cannot show a login page. The instance makes an unclaimed
/// token; the user opens its claim URL in a browser where they are logged in and accepts; meanwhile the CLI asks
/// <c>/api/users/me</c> with the token until it works. The token is then kept in the user's config (mode 0600).
/// With <c>--token</c> (or <c>PANORAMAX_TOKEN</c>) a token made on the website is checked and kept instead.
/// </summary>
public static class LoginCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment env)
    {
        var command = new Command("login", "Log in to an instance (opens nothing: prints a URL to open in your browser) and keep the token");
        command.SetAction((parse, ct) => GlobalOptions.GuardAsync(env, async () =>
        {
            var instance = globals.ResolveInstance(parse, env);
            var store = new ConfigStore(env.ConfigDirectory);
            if ((parse.GetValue(globals.Token) ?? env.Variable("PANORAMAX_TOKEN")) is { Length: > 0 } given)
            {
                using var client = new PanoramaxClient(instance, given);
                var me = await MeAsync(client, ct) ?? throw new CliException("This token is not valid on the instance (or not yet claimed)");
                store.SaveToken(instance, given, null, Name(me));
                await env.Out.WriteLineAsync($"Logged in to {InstanceUrl.Key(instance)} as {Name(me)}; token kept in {store.FilePath}");
                return ExitCodes.Ok;
            }

            JsonElement generated;
            using (var anonymous = new PanoramaxClient(instance, null))
            {
                try
                {
                    generated = await anonymous.PostAsync($"api/auth/tokens/generate?description={Uri.EscapeDataString(Description())}", null, ct);
                }
                catch (ApiErrorException e) when (e.Status is 404 or 501)
                {
                    throw new CliException($"{InstanceUrl.Key(instance)} does not hand out tokens to programs ({e.Message}): create one on its website and pass it with --token");
                }
            }
            var jwt = generated.GetProperty("jwt_token").GetString()!;
            var tokenId = generated.TryGetProperty("id", out var id) ? id.ToString() : null;
            var claim = generated.GetProperty("links").EnumerateArray()
                .FirstOrDefault(l => l.TryGetProperty("rel", out var rel) && rel.GetString() == "claim")
                .GetProperty("href").GetString()!;
            await env.Out.WriteLineAsync($"To log in, open this address in a browser where you are logged in to {InstanceUrl.Key(instance)}, and accept:");
            await env.Out.WriteLineAsync($"  {claim}");
            await env.Out.WriteLineAsync("Waiting for the token to be accepted (Ctrl-C to give up)…");
            await env.Out.FlushAsync(ct);

            using var withToken = new PanoramaxClient(instance, jwt);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(env.LoginTimeout);
            try
            {
                while (true)
                {
                    if (await MeAsync(withToken, timeout.Token) is { } me)
                    {
                        store.SaveToken(instance, jwt, tokenId, Name(me));
                        await env.Out.WriteLineAsync($"Logged in to {InstanceUrl.Key(instance)} as {Name(me)}; token kept in {store.FilePath}");
                        return ExitCodes.Ok;
                    }
                    await Task.Delay(env.LoginPollInterval, timeout.Token);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"The token was not accepted within {env.LoginTimeout.TotalMinutes:0} minutes; run login again");
            }
        }));
        return command;
    }

    /// <summary>The account of the token, or null while it is not claimed (401/403, or a redirect to the login page).</summary>
    internal static async Task<JsonElement?> MeAsync(PanoramaxClient client, CancellationToken ct)
    {
        try
        {
            return await client.GetAsync("api/users/me", ct);
        }
        catch (ApiErrorException e) when (e.Status is 401 or 403 or 302 or 303 or 307)
        {
            return null;
        }
    }

    private static string Name(JsonElement? me) =>
        me is { } m && m.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "(unnamed account)";

    private static string Description() => $"panoramax-cli on {Environment.MachineName}";
}
