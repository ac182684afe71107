using Panoramax.Cli;

return await CliApp.RunAsync(args, CliEnvironment.FromProcess(), CancellationToken.None);
