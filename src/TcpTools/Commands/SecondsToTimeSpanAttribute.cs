using System;
using System.Globalization;
using System.Management.Automation;

namespace TcpTools.Commands;

/// <summary>
/// Lets a TimeSpan parameter take a number of seconds (10, 0.5, '10'), as well as a TimeSpan or '00:01:30'.
/// Without it PowerShell would read 10 as ten ticks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecondsToTimeSpanAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case int or long or double or float or decimal or short or byte or uint or ulong:
                return TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds):
                return TimeSpan.FromSeconds(seconds);
            default:
                return inputData;
        }
    }
}
