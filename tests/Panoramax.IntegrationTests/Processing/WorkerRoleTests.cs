using System.Net;

namespace Panoramax.IntegrationTests.Processing;

public sealed class WorkerRoleTests(WorkerRoleInstance instance) : IClassFixture<WorkerRoleInstance>
{
    [Fact]
    public async Task A_worker_process_runs_jobs_and_serves_only_health()
    {
        using (var health = await instance.Http.GetAsync("/api/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        using (var landing = await instance.Http.GetAsync("/api"))
        {
            Assert.Equal(HttpStatusCode.NotFound, landing.StatusCode);
        }

        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("night-shift"), "Worker");
        await u.AddFileAsync(set, Infrastructure.TestPaths.SharedData("a-exif-samples-arezzo", "DSCN0029.jpg"));
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == 1, TimeSpan.FromSeconds(60), "published by the worker process");
    }
}
