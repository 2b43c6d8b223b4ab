using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>
/// Tab completion of port parameters: the well-known service names (ssh, http, https, postgresql ...), with the port
/// and what the service is as the tooltip. After a comma inside a quoted list ('22,ht') the last item is completed.
/// </summary>
public sealed class ServicePortCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = wordToComplete ?? "";
        char quote = word.Length > 0 && word[0] is '\'' or '"' ? word[0] : '\0';
        string inner = word.Trim('\'', '"');
        int comma = inner.LastIndexOf(',');
        string head = comma < 0 ? "" : inner[..(comma + 1)];
        string prefix = inner[(comma + 1)..];
        if (prefix.Length > 0 && char.IsAsciiDigit(prefix[0]))
        {
            return Array.Empty<CompletionResult>();
        }
        return ServiceNames.WellKnown
            .Where(s => s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(s =>
            {
                string text = head + s.Name;
                if (quote != '\0' || head.Length > 0)
                {
                    char q = quote == '\0' ? '\'' : quote;
                    text = q + text + q;
                }
                return new CompletionResult(text, s.Name, CompletionResultType.ParameterValue,
                    string.Create(CultureInfo.InvariantCulture, $"{s.Port}/tcp {s.Name}: {s.Description}"));
            })
            .ToList();
    }
}
