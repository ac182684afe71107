using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Panoramax.Domain.Accounts;
using Panoramax.Persistence;

namespace Panoramax.Auth.Tokens;

/// <summary>A token just made: the only moment its JWT exists outside the caller's hands.</summary>
public sealed record IssuedToken(ApiToken Token, string Jwt);

/// <summary>Outcome of checking a bearer token: an account, or the status and message GeoVisio answers.</summary>
public sealed record TokenCheck(AuthenticatedAccount? Account, int Status, string? Message, object? Details)
{
    public static TokenCheck Invalid(string error) => new(null, 401, "Token not valid", new { error });
}

/// <summary>
/// GeoVisio-compatible API tokens: HS256 JWTs <c>{"iss":"geovisio","sub":"&lt;token id&gt;","jti":…}</c> without
/// expiry, valid while their row exists, is claimed, is not revoked and holds the SHA-256 of exactly this JWT.
/// </summary>
public sealed class ApiTokenService(PanoramaxDbContext db, TokenSigningKey key, TimeProvider clock)
{
    public const string Issuer = "geovisio";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IssuedToken> IssueAsync(Guid? accountId, string? description, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var jwt = Sign(id);
        var token = new ApiToken
        {
            Id = id,
            AccountId = accountId,
            Description = description,
            TokenHash = Hash(jwt),
            GeneratedAt = now,
            ClaimedAt = accountId is null ? null : now,
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return new IssuedToken(token, jwt);
    }

    public static byte[] Hash(string jwt) => SHA256.HashData(Encoding.UTF8.GetBytes(jwt));

    private string Sign(Guid id)
    {
        // A random jti makes every JWT unique, so its stored hash identifies exactly the one handed out.
        var payload = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["iss"] = Issuer,
            ["sub"] = id.ToString(),
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
        });
        return Handler.CreateToken(payload, new SigningCredentials(new SymmetricSecurityKey(key.Secret), SecurityAlgorithms.HmacSha256));
    }

    /// <summary>Whether a JWT is one of ours (GeoVisio issuer) rather than, say, an OAuth access token, without validating it.</summary>
    public static bool LooksLikeApiToken(string jwt)
    {
        try
        {
            return Handler.CanReadToken(jwt) && new JsonWebToken(jwt).Issuer == Issuer;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async Task<TokenCheck> CheckAsync(string jwt, CancellationToken ct)
    {
        if (jwt.Length == 0 || jwt.Length > 4096 || !Handler.CanReadToken(jwt))
        {
            return TokenCheck.Invalid("the token is not a JWT");
        }
        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            IssuerSigningKey = new SymmetricSecurityKey(key.Secret),
        });
        if (!result.IsValid)
        {
            return TokenCheck.Invalid(result.Exception switch
            {
                SecurityTokenInvalidIssuerException => "the token was not issued by this kind of server",
                SecurityTokenInvalidAlgorithmException => "the token is not signed with HS256",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "invalid signature (the token was not made by this instance)",
                SecurityTokenMalformedException => "the token is malformed",
                _ => "the token could not be validated",
            });
        }
        if (!result.Claims.TryGetValue("sub", out var sub) || !Guid.TryParse(sub as string, out var tokenId))
        {
            return TokenCheck.Invalid("the token has no token id");
        }
        var row = await db.ApiTokens.AsNoTracking()
            .Where(t => t.Id == tokenId)
            .Select(t => new
            {
                t.TokenHash,
                t.RevokedAt,
                t.AccountId,
                Account = db.Accounts.Where(a => a.Id == t.AccountId).Select(a => new { a.Id, a.Name, a.Role, a.TosAcceptedAt }).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(ct);
        if (row is null || row.RevokedAt is not null || !CryptographicOperations.FixedTimeEquals(row.TokenHash, Hash(jwt)))
        {
            // A revoked token must stop working as "not authenticated" (401), not merely "forbidden".
            return TokenCheck.Invalid(row is null || row.RevokedAt is not null ? "the token was revoked" : "the token does not match its record");
        }
        if (row.AccountId is null || row.Account is null)
        {
            return new TokenCheck(null, 403, "Token not yet claimed, this token cannot be used yet. Either claim this token or generate a new one", null);
        }
        return new TokenCheck(new AuthenticatedAccount(row.Account.Id, row.Account.Name, row.Account.Role == AccountRole.Admin, AuthMethod.ApiToken, row.Account.TosAcceptedAt), 200, null, null);
    }

    /// <summary>The account's live tokens, newest first.</summary>
    public Task<List<ApiToken>> ListAsync(Guid accountId, CancellationToken ct) =>
        db.ApiTokens.AsNoTracking().Where(t => t.AccountId == accountId && t.RevokedAt == null).OrderByDescending(t => t.GeneratedAt).ToListAsync(ct);

    public Task<ApiToken?> FindAsync(Guid accountId, Guid tokenId, CancellationToken ct) =>
        db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tokenId && t.AccountId == accountId && t.RevokedAt == null, ct);

    /// <summary>Revokes at once: the next request with it gets 401. False when the account has no such live token.</summary>
    public async Task<bool> RevokeAsync(Guid accountId, Guid tokenId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var n = await db.ApiTokens.Where(t => t.Id == tokenId && t.AccountId == accountId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        return n > 0;
    }

    /// <summary>Binds an anonymous generated token to the account (CLI flow). Claiming one's own token again is fine.</summary>
    public async Task<ApiToken> ClaimAsync(Guid accountId, Guid tokenId, CancellationToken ct)
    {
        var token = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tokenId && t.RevokedAt == null, ct)
            ?? throw new AuthException(404, $"Token {tokenId} not found");
        if (token.AccountId is { } owner && owner != accountId)
        {
            throw new AuthException(403, "This token has already been claimed by someone else");
        }
        if (token.AccountId is null)
        {
            // Only the first claim wins, even when two arrive together.
            var now = clock.GetUtcNow();
            var n = await db.ApiTokens.Where(t => t.Id == tokenId && t.AccountId == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.AccountId, accountId).SetProperty(t => t.ClaimedAt, now), ct);
            if (n == 0)
            {
                throw new AuthException(403, "This token has already been claimed by someone else");
            }
            token.AccountId = accountId;
            token.ClaimedAt = now;
        }
        return token;
    }
}
