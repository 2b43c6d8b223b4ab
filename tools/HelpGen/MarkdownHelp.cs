using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace TcpTools.HelpGen;

/// <summary>
/// One cmdlet's help page in markdown: '# Name', then '## SYNOPSIS', '## DESCRIPTION', '## PARAMETERS' ('### -Name'
/// each), '## INPUTS' and '## OUTPUTS' ('### Type' each), '## NOTES', '## EXAMPLES' ('### Example N: Title', a
/// ```powershell block, remarks, ```output blocks), '## RELATED LINKS' ('- [text](uri)'). Paragraphs are separated
/// by blank lines; fenced blocks are kept verbatim.
/// </summary>
internal sealed class MarkdownHelp
{
    public string Name { get; private set; } = "";
    public List<string> Synopsis { get; } = new();
    public List<string> Description { get; } = new();
    public Dictionary<string, List<string>> Parameters { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<(string Type, List<string> Text)> Inputs { get; } = new();
    public List<(string Type, List<string> Text)> Outputs { get; } = new();
    public List<string> Notes { get; } = new();
    public List<Example> Examples { get; } = new();
    public List<(string Text, string Uri)> Links { get; } = new();

    public sealed class Example
    {
        public string Title { get; init; } = "";
        public string Code { get; set; } = "";
        public List<string> Remarks { get; } = new();
    }

    public static MarkdownHelp Parse(string path)
    {
        var help = new MarkdownHelp();
        string section = "", sub = "";
        List<string>? target = null;
        var lines = File.ReadAllLines(path);
        var paragraph = new StringBuilder();

        void Flush()
        {
            if (paragraph.Length > 0 && target != null)
            {
                target.Add(paragraph.ToString());
            }
            paragraph.Clear();
        }

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                Flush();
                string lang = line[3..].Trim();
                var block = new StringBuilder();
                for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                {
                    block.Append(block.Length > 0 ? "\n" : "").Append(lines[i]);
                }
                if (section == "EXAMPLES" && lang == "powershell" && help.Examples.Count > 0 && help.Examples[^1].Code.Length == 0)
                {
                    help.Examples[^1].Code = block.ToString();
                }
                else
                {
                    target?.Add(block.ToString());
                }
                continue;
            }
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                help.Name = line[2..].Trim();
                continue;
            }
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                Flush();
                section = line[3..].Trim().ToUpperInvariant();
                target = section switch
                {
                    "SYNOPSIS" => help.Synopsis,
                    "DESCRIPTION" => help.Description,
                    "NOTES" => help.Notes,
                    _ => null,
                };
                continue;
            }
            if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                Flush();
                sub = line[4..].Trim();
                switch (section)
                {
                    case "PARAMETERS":
                        target = help.Parameters[sub.TrimStart('-')] = new List<string>();
                        break;
                    case "INPUTS":
                        help.Inputs.Add((sub, target = new List<string>()));
                        break;
                    case "OUTPUTS":
                        help.Outputs.Add((sub, target = new List<string>()));
                        break;
                    case "EXAMPLES":
                        var example = new Example { Title = sub };
                        help.Examples.Add(example);
                        target = example.Remarks;
                        break;
                }
                continue;
            }
            if (section == "RELATED LINKS" && line.StartsWith("- [", StringComparison.Ordinal))
            {
                int close = line.IndexOf("](", StringComparison.Ordinal);
                help.Links.Add((line[3..close], line[(close + 2)..].TrimEnd(')')));
                continue;
            }
            if (line.Trim().Length == 0)
            {
                Flush();
                continue;
            }
            paragraph.Append(paragraph.Length > 0 ? " " : "").Append(line.Trim());
        }
        Flush();
        return help;
    }
}
