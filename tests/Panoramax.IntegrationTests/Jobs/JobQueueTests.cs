using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Jobs;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Jobs;

namespace Panoramax.IntegrationTests.Jobs;

/// <summary>An instance with role <c>api</c>: it runs no job worker, so queued jobs stay as enqueued.</summary>
public sealed class ApiOnlyInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Panoramax:Role", "api")];
}

public sealed class JobQueueTests(ApiOnlyInstance instance) : IClassFixture<ApiOnlyInstance>
{
    [Fact]
    public async Task Enqueueing_the_same_pending_job_twice_keeps_one_row()
    {
        var target = Guid.NewGuid();
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            await JobQueue.EnqueueAsync(db, JobKinds.ProcessPicture, target, TimeProvider.System, default);
            await JobQueue.EnqueueAsync(db, JobKinds.ProcessPicture, target, TimeProvider.System, default);
            await JobQueue.EnqueueAsync(db, JobKinds.DispatchUploadSet, target, TimeProvider.System, default);
            var jobs = await db.Jobs.Where(j => j.TargetId == target).OrderBy(j => j.Kind).ToListAsync();
            Assert.Equal([JobKinds.DispatchUploadSet, JobKinds.ProcessPicture], jobs.Select(j => j.Kind));
            Assert.All(jobs, j => Assert.Equal(JobState.Queued, j.State));
        }
    }

    [Fact]
    public async Task An_api_only_instance_leaves_jobs_to_workers()
    {
        var target = Guid.NewGuid();
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            await JobQueue.EnqueueAsync(db, JobKinds.ProcessPicture, target, TimeProvider.System, default);
            await Task.Delay(TimeSpan.FromSeconds(3));
            var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.TargetId == target);
            Assert.Equal((JobState.Queued, 0), (job.State, job.Attempts));
        }
    }

    [Fact]
    public async Task A_finished_job_can_be_enqueued_again()
    {
        var target = Guid.NewGuid();
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            await JobQueue.EnqueueAsync(db, JobKinds.ProcessPicture, target, TimeProvider.System, default);
            await db.Jobs.Where(j => j.TargetId == target).ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Succeeded));
            await JobQueue.EnqueueAsync(db, JobKinds.ProcessPicture, target, TimeProvider.System, default, TimeSpan.FromMinutes(5));
            var jobs = await db.Jobs.Where(j => j.TargetId == target).OrderBy(j => j.Id).ToListAsync();
            Assert.Equal(2, jobs.Count);
            Assert.Equal(JobState.Queued, jobs[1].State);
            Assert.True(jobs[1].RunAfter > jobs[1].CreatedAt.AddMinutes(4));
        }
    }
}
