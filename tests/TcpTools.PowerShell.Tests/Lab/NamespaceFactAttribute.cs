using System;

namespace TcpTools.PowerShell.Tests.Lab;

/// <summary>
/// A test that builds network namespaces: it needs root and iproute2. It runs as root always, and under CI=true it
/// is never skipped (there a missing privilege or tool is a failure, not a reason to skip).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute()
    {
        if (!NetworkLab.CanRun && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "Needs root and iproute2 to build network namespaces (runs under CI=true).";
        }
    }
}

/// <summary>A theory over network namespaces; see <see cref="NamespaceFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NamespaceTheoryAttribute : TheoryAttribute
{
    public NamespaceTheoryAttribute()
    {
        if (!NetworkLab.CanRun && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "Needs root and iproute2 to build network namespaces (runs under CI=true).";
        }
    }
}

/// <summary>
/// Tests that build namespaces and move real packets run one after another (not beside each other): their
/// timing claims (a stop within a second, a TIME_WAIT seen while the capture runs) must not depend on load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NamespaceCollection
{
    public const string Name = "Namespace";
}
