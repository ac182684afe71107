using System.ComponentModel.DataAnnotations;

namespace Panoramax.Federation;

/// <summary><c>Panoramax:Federation</c>: how this instance talks to its peers.</summary>
public sealed class FederationOptions
{
    public const string Section = "Panoramax:Federation";

    public bool Enabled { get; set; } = true;
    /// <summary>
    /// Where the gRPC (HTTP/2 without TLS, or behind a TLS proxy) federation endpoint listens. Peers are told
    /// <see cref="AdvertisedUrl"/> when set, else this. Port 0 picks a free port (tests).
    /// </summary>
    [Required]
    public string GrpcUrl { get; set; } = "http://127.0.0.1:5001";
    /// <summary>Public federation URL given to peers when it differs from the listening address (proxy, NAT).</summary>
    public string? AdvertisedUrl { get; set; }
    /// <summary>How often each trusted peer is pulled besides pokes.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Ed25519 public keys (hex or base64) of peers trusted without an admin's confirmation.</summary>
    public List<string> TrustedKeys { get; set; } = [];
    /// <summary>
    /// How many strangers (instances that said Hello, not added by an admin) may wait for confirmation at once; Hello
    /// from one more is refused (RESOURCE_EXHAUSTED) until an admin confirms, blocks or removes some. Anyone can make
    /// key pairs, so without a bound the pending list (and the table behind it) could be filled at will.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxPendingPeers { get; set; } = 100;
    /// <summary>The sealer's fallback polling period (it is woken by PostgreSQL NOTIFY after each local commit).</summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>An entry in this many is a signed checkpoint (the last entry of each sealing batch always is).</summary>
    [Range(1, 1024)]
    public int CheckpointEvery { get; set; } = 256;
    /// <summary>Entries per sealing batch and per applied transaction.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;
    /// <summary>Local changes within this window are announced to peers with one Poke.</summary>
    public TimeSpan PokeDebounce { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Deadline of unary calls (Hello, Poke) and of each streamed read.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long a superseded upsert keeps its payload after it was sealed (or received, for relayed entries); then the
    /// retention sweep removes the payload and keeps the header (spec §7). Deployments should not go below
    /// <see cref="RecommendedMinimumRetention"/> (a warning is logged); shorter values exist for tests.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);
    /// <summary>How often the retention sweep runs (first run one interval after start-up).</summary>
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromHours(6);
    /// <summary>The 90 days of spec §7: below this, peers offline for a while must resync from a snapshot.</summary>
    public static readonly TimeSpan RecommendedMinimumRetention = TimeSpan.FromDays(90);
    /// <summary>How long a live federated search (<c>/api/search?federated=live</c>) waits for peers before answering without them.</summary>
    public TimeSpan SearchDeadline { get; set; } = TimeSpan.FromMilliseconds(1500);
    /// <summary>
    /// Highest <c>hops</c> a live federated search may ask for: 1 = the trusted peers answer from their own data, 2 = they
    /// also ask their own peers, and so on. Each further hop shares the same deadline.
    /// </summary>
    [Range(1, 16)]
    public int MaxHops { get; set; } = 3;
    /// <summary>Live federated searches (<c>/api/search?federated=live</c>) one client (IP address) may start per minute.</summary>
    [Range(1, 1_000_000)]
    public int LiveSearchesPerClientPerMinute { get; set; } = 30;
    /// <summary>Live federated searches this instance starts per minute in all, whoever asks.</summary>
    [Range(1, 1_000_000)]
    public int LiveSearchesPerMinute { get; set; } = 600;
    /// <summary>How often each trusted peer is reconciled (range digests compared, divergence repaired, spec §7.1).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromHours(24);
}
