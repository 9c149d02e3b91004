using Backstop.Cli;

return await BackstopApp.RunAsync(args, CliHost.FromProcess(), CancellationToken.None);
