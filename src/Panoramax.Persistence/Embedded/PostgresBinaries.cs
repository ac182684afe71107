using System.Diagnostics;

namespace Panoramax.Persistence.Embedded;

/// <summary>Finds the PostgreSQL server programs and checks that PostGIS is installed for them.</summary>
public sealed record PostgresBinaries(string BinDir, string ShareDir, int MajorVersion)
{
    public string InitDb => Path.Combine(BinDir, "initdb");
    public string PgCtl => Path.Combine(BinDir, "pg_ctl");

    /// <summary>Locates the newest installed PostgreSQL that has PostGIS, or explains what to install.</summary>
    public static PostgresBinaries Locate()
    {
        var candidates = new List<PostgresBinaries>();
        var fromPgConfig = FromPgConfig();
        if (fromPgConfig is not null)
        {
            candidates.Add(fromPgConfig);
        }
        // Debian/Ubuntu layout: /usr/lib/postgresql/<major>/bin with share files in /usr/share/postgresql/<major>.
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            foreach (var dir in Directory.GetDirectories("/usr/lib/postgresql"))
            {
                if (int.TryParse(Path.GetFileName(dir), out var major) && File.Exists(Path.Combine(dir, "bin", "initdb")))
                {
                    candidates.Add(new PostgresBinaries(Path.Combine(dir, "bin"), $"/usr/share/postgresql/{major}", major));
                }
            }
        }
        if (candidates.Count == 0)
        {
            throw new EmbeddedPostgresException(
                "PostgreSQL server programs (initdb, pg_ctl) were not found. On Debian/Ubuntu install them with: " +
                "sudo apt-get install -y postgresql postgresql-15-postgis-3 — or set ConnectionStrings__Panoramax to use an existing PostgreSQL+PostGIS server.");
        }
        var withPostGis = candidates
            .Where(c => File.Exists(Path.Combine(c.ShareDir, "extension", "postgis.control")))
            .OrderByDescending(c => c.MajorVersion)
            .FirstOrDefault();
        if (withPostGis is null)
        {
            var newest = candidates.OrderByDescending(c => c.MajorVersion).First();
            throw new EmbeddedPostgresException(
                $"PostgreSQL {newest.MajorVersion} is installed but PostGIS is not. On Debian/Ubuntu install it with: " +
                $"sudo apt-get install -y postgresql-{newest.MajorVersion}-postgis-3");
        }
        return withPostGis;
    }

    private static PostgresBinaries? FromPgConfig()
    {
        try
        {
            var bin = Run("pg_config", "--bindir");
            var share = Run("pg_config", "--sharedir");
            var version = Run("pg_config", "--version"); // "PostgreSQL 15.18 (Debian …)"
            var parts = version.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var major = parts.Length > 1 && int.TryParse(parts[1].Split('.')[0], out var m) ? m : 0;
            return bin.Length > 0 && File.Exists(Path.Combine(bin, "initdb")) ? new PostgresBinaries(bin, share, major) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // pg_config is not on PATH.
        }
    }

    private static string Run(string file, string arg)
    {
        using var p = Process.Start(new ProcessStartInfo(file, arg) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : "";
    }
}

/// <summary>The embedded database cannot be started for a reason a person can fix (the message says how).</summary>
public sealed class EmbeddedPostgresException(string message) : Exception(message);
