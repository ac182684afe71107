using Microsoft.Playwright;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.E2ETests;

/// <summary>
/// A page of Debian's chromium that may only reach one instance, with the script errors it raised and the messages of
/// the dialogs it opened (every dialog is accepted, as a person clicking OK would).
/// </summary>
public sealed class PageSession : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IBrowserContext _context;

    private PageSession(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        (_playwright, _browser, _context, Page) = (playwright, browser, context, page);
        page.PageError += (_, e) => Errors.Add(e);
        page.Dialog += (_, dialog) =>
        {
            Dialogs.Add(dialog.Message);
            _ = dialog.AcceptAsync();
        };
    }

    public IPage Page { get; }
    public List<string> Errors { get; } = [];
    public List<string> Dialogs { get; } = [];

    public static async Task<PageSession> OpenAsync(TestInstance instance)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await ViewerJourneyTests.LaunchChromiumAsync(playwright);
        var context = await ViewerJourneyTests.InstanceOnlyContextAsync(browser, instance);
        context.SetDefaultTimeout(30_000);
        return new PageSession(playwright, browser, context, await context.NewPageAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
