namespace Panoramax.Blurring.Detection;

/// <summary>
/// An axis-aligned box in full-resolution pixel coordinates (x2/y2 exclusive). Doubles, because boxes are
/// scaled back from model inputs and rounding early would shrink what gets blurred.
/// </summary>
public readonly record struct PixelBox(double X1, double Y1, double X2, double Y2)
{
    public double Width => Math.Max(0, X2 - X1);

    public double Height => Math.Max(0, Y2 - Y1);

    public double Area => Width * Height;

    public static PixelBox FromXywh(double x, double y, double w, double h) => new(x, y, x + w, y + h);

    public double IntersectionArea(PixelBox other)
    {
        var w = Math.Min(X2, other.X2) - Math.Max(X1, other.X1);
        var h = Math.Min(Y2, other.Y2) - Math.Max(Y1, other.Y1);
        return w <= 0 || h <= 0 ? 0 : w * h;
    }

    public double IoU(PixelBox other)
    {
        var inter = IntersectionArea(other);
        var union = Area + other.Area - inter;
        return union <= 0 ? 0 : inter / union;
    }

    public PixelBox Union(PixelBox other) =>
        new(Math.Min(X1, other.X1), Math.Min(Y1, other.Y1), Math.Max(X2, other.X2), Math.Max(Y2, other.Y2));

    public PixelBox Offset(double dx, double dy) => new(X1 + dx, Y1 + dy, X2 + dx, Y2 + dy);

    /// <summary>Grows each side by <paramref name="fraction"/> of the box's own width/height.</summary>
    public PixelBox Grow(double fraction)
    {
        var dx = Width * fraction;
        var dy = Height * fraction;
        return new(X1 - dx, Y1 - dy, X2 + dx, Y2 + dy);
    }

    public PixelBox Clip(double width, double height) =>
        new(Math.Clamp(X1, 0, width), Math.Clamp(Y1, 0, height), Math.Clamp(X2, 0, width), Math.Clamp(Y2, 0, height));

    public override string ToString() =>
        FormattableString.Invariant($"({X1:F0},{Y1:F0})-({X2:F0},{Y2:F0})");
}
