using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using System.Xml;

namespace TcpTools.HelpGen;

/// <summary>Writes MAML from en-US/*.md and the metadata of the module's cmdlets and functions. Exit code 1 with a list of problems.</summary>
internal static class Program
{
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly Dictionary<string, string> s_standard = new()
    {
        ["WhatIf"] = "Shows what would happen if the cmdlet runs: nothing is sent, and one 'What if:' line is written per packet or probe that would have been sent.",
        ["Confirm"] = "Prompts you for confirmation before each packet or probe is sent.",
    };

    private static int Main(string[] args)
    {
        string module = Arg(args, "--module"), docs = Arg(args, "--docs"), output = Arg(args, "--out");
        var problems = new List<string>();
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(module);
        using var runspace = RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        var commands = ps.AddCommand("Get-Command").AddParameter("Module", "TcpTools").Invoke()
            .Select(o => o.BaseObject).OfType<CommandInfo>().Where(c => c is CmdletInfo or FunctionInfo).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        if (commands.Count == 0)
        {
            Console.Error.WriteLine($"HelpGen: the module {module} exports no cmdlets (did it load?)");
            return 1;
        }
        var pages = new List<(CommandInfo Cmdlet, MarkdownHelp Help)>();
        foreach (var cmdlet in commands)
        {
            string page = Path.Combine(docs, cmdlet.Name + ".md");
            if (!File.Exists(page))
            {
                problems.Add($"{cmdlet.Name}: no help page {page}");
                continue;
            }
            var help = MarkdownHelp.Parse(page);
            Check(cmdlet, help, page, problems);
            pages.Add((cmdlet, help));
        }
        if (problems.Count > 0)
        {
            foreach (string p in problems)
            {
                Console.Error.WriteLine($"{p}: error HELP001: help is incomplete");
            }
            return 1;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using (var w = XmlWriter.Create(output, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("helpItems", "http://msh");
            w.WriteAttributeString("schema", "maml");
            foreach (var (cmdlet, help) in pages)
            {
                WriteCommand(w, cmdlet, help);
            }
            w.WriteEndElement();
        }
        Console.WriteLine($"HelpGen: {pages.Count} cmdlets -> {output}");
        return 0;
    }

    private static string Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"usage: HelpGen --module PSD1 --docs DIR --out XML (missing {name})");
    }

    private static IEnumerable<CommandParameterInfo> Own(CommandParameterSetInfo set) =>
        set.Parameters.Where(p => !Cmdlet.CommonParameters.Contains(p.Name));

    private static void Check(CommandInfo cmdlet, MarkdownHelp help, string page, List<string> problems)
    {
        if (help.Name != cmdlet.Name)
        {
            problems.Add($"{page}: the title is '# {help.Name}', not '# {cmdlet.Name}'");
        }
        if (help.Synopsis.Count == 0 || help.Description.Count == 0)
        {
            problems.Add($"{page}: SYNOPSIS and DESCRIPTION are required");
        }
        if (help.Examples.Count < 3 || help.Examples.Any(e => e.Code.Length == 0 || e.Remarks.Count == 0))
        {
            problems.Add($"{page}: at least 3 examples, each with a ```powershell block and remarks");
        }
        var names = cmdlet.ParameterSets.SelectMany(Own).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (string name in names.Where(n => !help.Parameters.ContainsKey(n) && !s_standard.ContainsKey(n)))
        {
            problems.Add($"{page}: parameter -{name} is not documented");
        }
        foreach (string name in help.Parameters.Keys.Where(n => !names.Contains(n)))
        {
            problems.Add($"{page}: documents -{name}, which {cmdlet.Name} does not have");
        }
        if (help.Outputs.Count == 0)
        {
            problems.Add($"{page}: OUTPUTS is required");
        }
    }

    private static void WriteCommand(XmlWriter w, CommandInfo cmdlet, MarkdownHelp help)
    {
        w.WriteStartElement("command", "command", Command);
        w.WriteAttributeString("xmlns", "maml", null, Maml);
        w.WriteAttributeString("xmlns", "dev", null, Dev);
        w.WriteStartElement("command", "details", Command);
        w.WriteElementString("command", "name", Command, cmdlet.Name);
        w.WriteElementString("command", "verb", Command, cmdlet is CmdletInfo c ? c.Verb : ((FunctionInfo)cmdlet).Verb);
        w.WriteElementString("command", "noun", Command, cmdlet is CmdletInfo d ? d.Noun : ((FunctionInfo)cmdlet).Noun);
        Paragraphs(w, "description", help.Synopsis);
        w.WriteEndElement();
        Paragraphs(w, "description", help.Description);

        w.WriteStartElement("command", "syntax", Command);
        foreach (var set in cmdlet.ParameterSets.OrderBy(s => s.IsDefault ? 0 : 1))
        {
            w.WriteStartElement("command", "syntaxItem", Command);
            w.WriteElementString("maml", "name", Maml, cmdlet.Name);
            foreach (var p in Own(set).OrderBy(p => p.Position < 0 ? int.MaxValue : p.Position))
            {
                WriteParameter(w, cmdlet, p, p.IsMandatory, help, brief: true);
            }
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteStartElement("command", "parameters", Command);
        var all = cmdlet.ParameterSets.SelectMany(Own).GroupBy(p => p.Name).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var g in all)
        {
            WriteParameter(w, cmdlet, g.First(), g.All(p => p.IsMandatory), help, brief: false);
        }
        w.WriteEndElement();

        w.WriteStartElement("command", "inputTypes", Command);
        foreach (var (type, text) in help.Inputs)
        {
            w.WriteStartElement("command", "inputType", Command);
            TypeName(w, type);
            Paragraphs(w, "description", text);
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteStartElement("command", "returnValues", Command);
        foreach (var (type, text) in help.Outputs)
        {
            w.WriteStartElement("command", "returnValue", Command);
            TypeName(w, type);
            Paragraphs(w, "description", text);
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteStartElement("maml", "alertSet", Maml);
        w.WriteStartElement("maml", "alert", Maml);
        foreach (string p in help.Notes)
        {
            w.WriteElementString("maml", "para", Maml, p);
        }
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteStartElement("command", "examples", Command);
        foreach (var e in help.Examples)
        {
            w.WriteStartElement("command", "example", Command);
            w.WriteElementString("maml", "title", Maml, $"-------------------------- {e.Title} --------------------------");
            w.WriteElementString("dev", "code", Dev, e.Code);
            w.WriteStartElement("dev", "remarks", Dev);
            foreach (string p in e.Remarks)
            {
                w.WriteElementString("maml", "para", Maml, p);
            }
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteStartElement("command", "relatedLinks", Command);
        foreach (var (text, uri) in help.Links)
        {
            w.WriteStartElement("maml", "navigationLink", Maml);
            w.WriteElementString("maml", "linkText", Maml, text);
            w.WriteElementString("maml", "uri", Maml, uri);
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter w, CommandInfo cmdlet, CommandParameterInfo p, bool required, MarkdownHelp help, bool brief)
    {
        bool wildcards = p.Attributes.OfType<SupportsWildcardsAttribute>().Any();
        string pipeline = (p.ValueFromPipelineByPropertyName, p.ValueFromPipeline) switch
        {
            (true, true) => "True (ByPropertyName, ByValue)",
            (true, false) => "True (ByPropertyName)",
            (false, true) => "True (ByValue)",
            _ => "False",
        };
        bool isSwitch = p.ParameterType == typeof(SwitchParameter);
        w.WriteStartElement("command", "parameter", Command);
        w.WriteAttributeString("required", required ? "true" : "false");
        w.WriteAttributeString("variableLength", p.ParameterType.IsArray ? "true" : "false");
        w.WriteAttributeString("globbing", wildcards ? "true" : "false");
        w.WriteAttributeString("pipelineInput", pipeline);
        w.WriteAttributeString("position", p.Position >= 0 ? p.Position.ToString(System.Globalization.CultureInfo.InvariantCulture) : "named");
        w.WriteAttributeString("aliases", p.Aliases.Count > 0 ? string.Join(", ", p.Aliases) : "none");
        w.WriteElementString("maml", "name", Maml, p.Name);
        var text = help.Parameters.TryGetValue(p.Name, out var t) ? t : new List<string> { s_standard[p.Name] };
        var paragraphs = text.Where(x => !x.StartsWith("Default value:", StringComparison.Ordinal)).ToList();
        Paragraphs(w, "description", brief ? paragraphs.Take(1).ToList() : paragraphs);
        string typeName = Friendly(p.ParameterType);
        if (p.ParameterType.IsEnum)
        {
            w.WriteStartElement("command", "parameterValueGroup", Command);
            foreach (string v in Enum.GetNames(p.ParameterType))
            {
                w.WriteStartElement("command", "parameterValue", Command);
                w.WriteAttributeString("required", "false");
                w.WriteAttributeString("variableLength", "false");
                w.WriteString(v);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        w.WriteStartElement("command", "parameterValue", Command);
        w.WriteAttributeString("required", isSwitch ? "false" : "true");
        w.WriteAttributeString("variableLength", p.ParameterType.IsArray ? "true" : "false");
        w.WriteString(typeName);
        w.WriteEndElement();
        if (!brief)
        {
            w.WriteStartElement("dev", "type", Dev);
            w.WriteElementString("maml", "name", Maml, typeName);
            w.WriteElementString("maml", "uri", Maml, "");
            w.WriteEndElement();
            string? defaultValue = text.FirstOrDefault(x => x.StartsWith("Default value:", StringComparison.Ordinal))?["Default value:".Length..].Trim();
            w.WriteElementString("dev", "defaultValue", Dev, defaultValue ?? (isSwitch ? "False" : "None"));
        }
        w.WriteEndElement();
    }

    private static string Friendly(Type t) => t.IsArray ? Friendly(t.GetElementType()!) + "[]" : t.Name;

    private static void TypeName(XmlWriter w, string type)
    {
        w.WriteStartElement("dev", "type", Dev);
        w.WriteElementString("maml", "name", Maml, type);
        w.WriteEndElement();
    }

    private static void Paragraphs(XmlWriter w, string element, List<string> paragraphs)
    {
        w.WriteStartElement("maml", element, Maml);
        foreach (string p in paragraphs)
        {
            w.WriteElementString("maml", "para", Maml, p);
        }
        w.WriteEndElement();
    }
}
