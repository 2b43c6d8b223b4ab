using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>
/// Lets a port parameter take a TCP service name (https, ssh, postgresql) as well as a number: -DestinationPort https
/// binds 443. Names are those of <see cref="ServiceNames"/>; anything else goes on to PowerShell's own conversion,
/// so a bad value still gets PowerShell's usual error.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ServicePortAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (value is string or null)
        {
            return One(value) is ushort port ? port : inputData;
        }
        if (value is IEnumerable many)
        {
            var list = new List<object?>();
            foreach (object? item in many)
            {
                object? inner = item is PSObject p ? p.BaseObject : item;
                list.Add(One(inner) is ushort port ? port : item);
            }
            return list.ToArray();
        }
        return inputData;
    }

    private static ushort? One(object? value) =>
        value is string s && ServiceNames.TryGetPort(s.Trim(), out ushort port) ? port : null;
}
