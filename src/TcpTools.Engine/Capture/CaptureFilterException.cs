using System;

namespace TcpTools;

/// <summary>A BPF filter expression that libpcap would not compile.</summary>
public sealed class CaptureFilterException : ArgumentException
{
    public CaptureFilterException(string expression, string reason)
        : base($"The capture filter '{expression}' is not valid: {reason}")
    {
        Expression = expression;
    }

    /// <summary>The expression as given.</summary>
    public string Expression { get; }
}
