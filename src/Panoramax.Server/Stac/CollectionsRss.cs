using System.Globalization;
using System.Xml;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>RSS 2.0 + GeoRSS feed of sequences (<c>/api/collections?format=rss</c>), one item per sequence.</summary>
public static class CollectionsRss
{
    private const string GeoRss = "http://www.georss.org/georss";

    public static string Build(IReadOnlyList<CollectionRow> rows, LinkBuilder links, InstanceInfoOptions instance)
    {
        var sb = new System.Text.StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false, Async = false }))
        {
            w.WriteStartElement("rss");
            w.WriteAttributeString("version", "2.0");
            w.WriteAttributeString("xmlns", "georss", null, GeoRss);
            w.WriteStartElement("channel");
            w.WriteElementString("title", $"{instance.Name}: new sequences");
            w.WriteElementString("link", links.Base + "/");
            w.WriteElementString("description", instance.Description);
            w.WriteElementString("language", "en");
            foreach (var r in rows)
            {
                w.WriteStartElement("item");
                w.WriteElementString("title", r.Title);
                var viewer = r.Bbox is { } b
                    ? links.Base + FormattableString.Invariant($"/?seq={r.Id}&map=17/{(b.MinY + b.MaxY) / 2:F6}/{(b.MinX + b.MaxX) / 2:F6}")
                    : links.Base + $"/?seq={r.Id}";
                w.WriteElementString("link", viewer);
                var when = r.MinCapturedAt is { } t ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "unknown date";
                w.WriteElementString("description", $"{r.PictureCount} pictures taken on {when} by {r.AccountName}, {r.LengthKm:0.###} km");
                w.WriteElementString("author", r.AccountName);
                w.WriteStartElement("guid");
                w.WriteAttributeString("isPermaLink", "true");
                w.WriteString(links.Api($"/api/collections/{r.Id}"));
                w.WriteEndElement();
                w.WriteElementString("pubDate", r.CreatedAt.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture));
                w.WriteStartElement("enclosure");
                w.WriteAttributeString("url", links.Api($"/api/collections/{r.Id}/thumb.jpg"));
                w.WriteAttributeString("type", "image/jpeg");
                w.WriteAttributeString("length", "0");
                w.WriteEndElement();
                if (r.Bbox is { } box)
                {
                    w.WriteElementString("point", GeoRss, FormattableString.Invariant($"{(box.MinY + box.MaxY) / 2:F7} {(box.MinX + box.MaxX) / 2:F7}"));
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        }
        return sb.ToString();
    }
}
