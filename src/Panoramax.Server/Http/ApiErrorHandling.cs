using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Panoramax.Server.Http;

/// <summary>
/// Turns every failure into the JSON error shape: <see cref="ApiException"/> with its status,
/// malformed requests (bad JSON, unparsable parameters) as 400, bodiless 4xx from routing as JSON,
/// and anything unexpected as a 500 without internals (the exception goes to the log).
/// </summary>
public static class ApiErrorHandling
{
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => StatusFor(ex).Status,
            // A client's mistake (4xx) and a failure a route chose to report (a peer down: 502) are answered, not logged
            // as unhandled; the rest is logged below.
            SuppressDiagnosticsCallback = c => Deliberate(c.Exception) || StatusFor(c.Exception).Status < 500,
            ExceptionHandler = async context =>
            {
                var ex = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var (status, message, details) = StatusFor(ex);
                if (status >= 500)
                {
                    var log = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Panoramax.Errors");
                    if (Deliberate(ex))
                    {
                        log.LogWarning("{Method} {Path} answered {Status}: {Message}", context.Request.Method, context.Request.Path, status, message);
                    }
                    else
                    {
                        log.LogError(ex, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
                    }
                }
                if (((ex as Panoramax.Auth.AuthException)?.RetryAfterSeconds ?? (ex as ApiException)?.RetryAfterSeconds) is { } retry)
                {
                    context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                await WriteAsync(context, status, message, details);
            },
        });
        app.UseStatusCodePages(async ctx =>
        {
            var response = ctx.HttpContext.Response;
            await WriteAsync(ctx.HttpContext, response.StatusCode, DefaultMessage(response.StatusCode, ctx.HttpContext.Request), null);
        });
        return app;
    }

    internal static (int Status, string Message, object? Details) StatusFor(Exception? ex) => ex switch
    {
        ApiException api => (api.StatusCode, api.Message, api.Details),
        Panoramax.Auth.AuthException auth => (auth.StatusCode, auth.Message, auth.Details),
        BadHttpRequestException bad when bad.InnerException is JsonException json =>
            (StatusCodes.Status400BadRequest, "The request body is not valid JSON", new { error = json.Message }),
        BadHttpRequestException bad => (bad.StatusCode, bad.Message, null),
        // Raised by the framework's readers of request bodies (forms, multipart, compressed bodies) on malformed input.
        InvalidDataException invalid => (StatusCodes.Status400BadRequest, "The request body is malformed", new { error = invalid.Message }),
        OperationCanceledException => (499, "The request was cancelled", null),
        // Only text from a request can hold a NUL character, which PostgreSQL text and jsonb refuse.
        _ when NulInText(ex) is { } pg => (StatusCodes.Status400BadRequest, "Text values cannot contain NUL (\\u0000) characters", new { error = pg.MessageText }),
        _ => (StatusCodes.Status500InternalServerError, "Internal server error: the problem was logged; please report it to the instance administrator", null),
    };

    /// <summary>An error a route raised on purpose, with the status and message it chose.</summary>
    private static bool Deliberate(Exception? ex) => ex is ApiException or Panoramax.Auth.AuthException;

    private static PostgresException? NulInText(Exception? ex) =>
        (ex as PostgresException ?? ex?.InnerException as PostgresException) is { SqlState: PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter } pg
            ? pg : null;

    private static string DefaultMessage(int status, HttpRequest request) => status switch
    {
        404 => $"Nothing found at {request.Path}",
        405 => $"Method {request.Method} is not allowed on {request.Path}",
        415 => "Unsupported content type for this route",
        401 => "Authentication is mandatory",
        403 => "You are not allowed to do this",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
    };

    private static Task WriteAsync(HttpContext context, int status, string message, object? details)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new ApiError(message, status, details), ApiJson.Options));
    }
}
