using Panoramax.Server.Map;

namespace Panoramax.UnitTests.Map;

public class PictureGridRefreshRequestsTests
{
    [Fact]
    public async Task The_earliest_window_asked_decides_when_the_refresh_runs()
    {
        using var requests = new PictureGridRefreshRequests();
        requests.Request(PictureGridRefreshRequests.ReplicaWindow);
        requests.Request(PictureGridRefreshRequests.PublicationWindow);
        Assert.True(await requests.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.InRange(requests.TakeDelay(), TimeSpan.Zero, PictureGridRefreshRequests.PublicationWindow);

        // A later, longer request does not push back a pending shorter one.
        requests.Drain();
        requests.Request(PictureGridRefreshRequests.PublicationWindow);
        requests.Request(PictureGridRefreshRequests.ReplicaWindow);
        Assert.InRange(requests.TakeDelay(), TimeSpan.Zero, PictureGridRefreshRequests.PublicationWindow);
    }

    [Fact]
    public async Task Replica_changes_alone_wait_their_longer_window_and_many_requests_make_one_wake_up()
    {
        using var requests = new PictureGridRefreshRequests();
        for (var i = 0; i < 10; i++)
        {
            requests.Request(PictureGridRefreshRequests.ReplicaWindow);
        }
        Assert.True(await requests.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.InRange(requests.TakeDelay(), PictureGridRefreshRequests.ReplicaWindow - TimeSpan.FromSeconds(1), PictureGridRefreshRequests.ReplicaWindow);
        Assert.False(await requests.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        // Taken: nothing pending any more.
        Assert.Equal(PictureGridRefreshRequests.PublicationWindow, requests.TakeDelay());
    }
}
