using System;
using System.Management.Automation.Host;

namespace TcpTools.Host;

/// <summary>The console geometry the formatter needs; colours are remembered but not applied.</summary>
internal sealed class HostRawUserInterface : PSHostRawUserInterface
{
    private readonly int _width = DetectWidth();

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; } = 1;
    public override Size BufferSize { get => new(_width, 9999); set { } }
    public override Size WindowSize { get => new(_width, 50); set { } }
    public override Size MaxWindowSize => new(_width, 50);
    public override Size MaxPhysicalWindowSize => new(_width, 50);
    public override Coordinates WindowPosition { get; set; }
    public override bool KeyAvailable => false;
    public override string WindowTitle { get; set; } = "tcptools";

    public override void FlushInputBuffer()
    {
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException("tcptools has no screen buffer.");

    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException("tcptools does not read keys.");

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
    {
    }

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
    {
    }

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
    {
    }

    private static int DetectWidth()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns >= 40)
        {
            return columns;
        }
        try
        {
            if (!Console.IsOutputRedirected && Console.WindowWidth >= 40)
            {
                return Console.WindowWidth;
            }
        }
        catch (System.IO.IOException)
        {
        }
        return 120;
    }
}
