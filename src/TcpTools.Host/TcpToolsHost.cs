using System;
using System.Globalization;
using System.Management.Automation.Host;

namespace TcpTools.Host;

/// <summary>The PSHost: a UI for Out-Default and prompts, and the exit code a script asks for.</summary>
internal sealed class TcpToolsHost : PSHost
{
    private readonly HostUserInterface _ui = new();

    public override string Name => "tcptools";
    public override Version Version { get; } = typeof(TcpToolsHost).Assembly.GetName().Version ?? new Version(0, 0);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    /// <summary>The code passed to 'exit', or null when the script did not exit explicitly.</summary>
    public int? ExitCode { get; private set; }

    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;

    public override void EnterNestedPrompt() => throw new NotSupportedException("tcptools has no interactive prompt.");

    public override void ExitNestedPrompt() => throw new NotSupportedException("tcptools has no interactive prompt.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }
}
