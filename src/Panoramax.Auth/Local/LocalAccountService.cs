using System.Globalization;
using System.Net.Mail;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Accounts;
using Panoramax.Persistence;

namespace Panoramax.Auth.Local;

/// <summary>
/// Name + password accounts kept by this instance: registration, password check with lockout after repeated
/// failures (counted in the account row, so every host of a scaled-out instance sees the same count).
/// </summary>
public sealed class LocalAccountService(PanoramaxDbContext db, IOptions<AuthOptions> options, TimeProvider clock)
{
    private static readonly PasswordHasher<Account> Hasher = new();
    private static readonly string[] NameField = ["name"];
    private static readonly string[] EmailField = ["email"];
    private static readonly string[] PasswordField = ["password"];

    public async Task<Account> RegisterAsync(string? name, string? email, string? password, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled || !o.LocalAccounts)
        {
            throw new AuthException(403, "This instance has no local accounts: log in with its external provider instead");
        }
        if (!o.RegistrationIsOpen)
        {
            throw new AuthException(403, "Registration is closed on this instance: ask its administrator for an account");
        }
        name = name?.Trim();
        email = string.IsNullOrWhiteSpace(email) ? null : email.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200 || name.Any(char.IsControl))
        {
            throw new AuthException(400, "A name of 1 to 200 printable characters is required", new { fields = NameField });
        }
        if (name.Contains('@', StringComparison.Ordinal))
        {
            throw new AuthException(400, "A name cannot contain '@' (that is how e-mail logins are told apart)", new { fields = NameField });
        }
        if (email is not null && (email.Length > 320 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
        {
            throw new AuthException(400, "The e-mail address is not valid", new { fields = EmailField });
        }
        CheckPassword(password, o);
        // Two people asking for the same name at the same moment must not both pass the checks below.
        await using var tx = await AccountCreation.BeginAsync(db, ct);
        var pattern = LikeLiteral(name);
        if (await db.Accounts.AnyAsync(a => EF.Functions.ILike(a.Name, pattern), ct))
        {
            throw new AuthException(409, $"The name {name} is already taken");
        }
        if (email is not null && await db.Accounts.AnyAsync(a => a.Email == email, ct))
        {
            throw new AuthException(409, "An account already uses this e-mail address");
        }
        var self = await db.Instances.AsNoTracking().Where(i => i.IsSelf).Select(i => i.Id).SingleAsync(ct);
        var now = clock.GetUtcNow();
        var account = new Account
        {
            Id = Guid.CreateVersion7(now),
            OriginInstanceId = self,
            Name = name,
            Email = email,
            Role = AccountRole.User,
            CreatedAt = now,
            UpdatedAt = now,
        };
        account.PasswordHash = Hasher.HashPassword(account, password!);
        db.Accounts.Add(account);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // Another route (an external login bringing its e-mail) gave it to an account since the check.
            throw new AuthException(409, "An account already uses this e-mail address");
        }
        await tx.CommitAsync(ct);
        return account;
    }

    /// <summary>The account whose name (case-insensitive) or e-mail is <paramref name="login"/>, when the password matches.</summary>
    public async Task<Account> LoginAsync(string? login, string? password, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled || !o.LocalAccounts)
        {
            throw new AuthException(403, "This instance has no local accounts: log in with its external provider instead");
        }
        login = login?.Trim();
        if (string.IsNullOrEmpty(login) || string.IsNullOrEmpty(password))
        {
            throw new AuthException(400, "Give a name (or e-mail) and a password");
        }
        var pattern = LikeLiteral(login);
        var account = login.Contains('@', StringComparison.Ordinal)
            ? await db.Accounts.FirstOrDefaultAsync(a => a.Email == login && a.PasswordHash != null, ct)
            : await db.Accounts.FirstOrDefaultAsync(a => EF.Functions.ILike(a.Name, pattern) && a.PasswordHash != null, ct);
        if (account is null)
        {
            // Same work and answer as a wrong password, so names cannot be probed by timing or message.
            Hasher.VerifyHashedPassword(new Account { Name = "" }, DummyHash, password);
            throw WrongPassword();
        }
        var now = clock.GetUtcNow();
        if (account.LockoutEndsAt is { } until && until > now)
        {
            throw Locked(until, now);
        }
        var verdict = Hasher.VerifyHashedPassword(account, account.PasswordHash!, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            account.FailedLoginCount++;
            if (account.FailedLoginCount >= o.MaxFailedLogins)
            {
                account.FailedLoginCount = 0;
                account.LockoutEndsAt = now.AddMinutes(o.LockoutMinutes);
                await db.SaveChangesAsync(ct);
                throw Locked(account.LockoutEndsAt.Value, now);
            }
            await db.SaveChangesAsync(ct);
            throw WrongPassword();
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = Hasher.HashPassword(account, password);
        }
        account.FailedLoginCount = 0;
        account.LockoutEndsAt = null;
        await db.SaveChangesAsync(ct);
        return account;
    }

    /// <summary>A LIKE pattern matching exactly <paramref name="text"/> (PostgreSQL's default escape is the backslash).</summary>
    private static string LikeLiteral(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    internal static void CheckPassword(string? password, AuthOptions o)
    {
        if (string.IsNullOrEmpty(password) || password.Length < o.MinPasswordLength || password.Length > 1024)
        {
            throw new AuthException(400, $"The password must have at least {o.MinPasswordLength} characters", new { fields = PasswordField });
        }
    }

    private static readonly string DummyHash = Hasher.HashPassword(new Account { Name = "" }, "not a password anyone has");

    private static AuthException WrongPassword() => new(401, "Wrong name or password");

    private static AuthException Locked(DateTimeOffset until, DateTimeOffset now)
    {
        var seconds = (int)Math.Ceiling((until - now).TotalSeconds);
        var minutes = (int)Math.Ceiling(seconds / 60.0);
        return new AuthException(429,
            string.Create(CultureInfo.InvariantCulture, $"Too many wrong passwords: this account is locked until {until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; try again in {minutes} minute{(minutes > 1 ? "s" : "")}"),
            new { locked_until = until.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) })
        {
            RetryAfterSeconds = seconds,
        };
    }
}
