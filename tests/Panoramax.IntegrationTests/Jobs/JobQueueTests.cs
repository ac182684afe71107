using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Jobs;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Jobs;

namespace Panoramax.IntegrationTests.Jobs;

public sealed class JobQueueTests(TestInstance instance) : IClassFixture<TestInstance>
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
