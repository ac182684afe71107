using Panoramax.Persistence.Embedded;
using Panoramax.Server.Hosting;

try
{
    await using var app = await PanoramaxApp.CreateAsync(args);
    await app.RunAsync();
    return 0;
}
catch (EmbeddedPostgresException e)
{
    // A missing package or an unusable folder: say what to do, without a stack trace.
    await Console.Error.WriteLineAsync($"panoramax: {e.Message}");
    return 1;
}

/// <summary>Entry point type, referenced by tests.</summary>
public partial class Program;
