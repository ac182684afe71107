using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Manage;

/// <summary>A real worker processing real uploads quickly (blurring off), so deletes race with processing.</summary>
public sealed class RaceInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Jobs:PollInterval", "00:00:00.100"),
        new("Panoramax:Jobs:Concurrency", "2"),
        new("Panoramax:Blurring:Enabled", "false"),
    ];
}

public class DeleteRaceTests(RaceInstance f) : IClassFixture<RaceInstance>
{
    private static readonly string[] Files = ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg"];

    [Fact]
    public async Task Delete_racing_with_processing_never_leaves_a_published_picture()
    {
        var (_, owner) = await TestAuth.UserAsync(f, "racer");
        var set = await ManageFixture.OkJsonAsync(await owner.PostAsJsonAsync("/api/upload_sets", new { title = "Race", estimated_nb_files = Files.Length }));
        var setId = set.GetProperty("id").GetString();
        foreach (var file in Files)
        {
            using var form = new MultipartFormDataContent();
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(TestPaths.SharedData("a-exif-samples-arezzo", file)));
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, "file", file);
            using var response = await owner.PostAsync($"/api/upload_sets/{setId}/files", form);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        }

        // As soon as the upload set is dispatched into a sequence, delete it, while pictures are still being processed.
        Guid? sequence = null;
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while (sequence is null && TimeProvider.System.GetUtcNow() < deadline)
        {
            sequence = await ScalarAsync<Guid?>("SELECT sequence_id FROM pictures WHERE upload_set_id = @set AND sequence_id IS NOT NULL LIMIT 1", ("set", Guid.Parse(setId!)));
            if (sequence is null)
            {
                await Task.Delay(20);
            }
        }
        Assert.NotNull(sequence);
        // Dispatch makes every sequence of the set in one transaction (these files make two: they are far apart).
        var sequences = await ScalarAsync<Guid[]>("SELECT array_agg(DISTINCT sequence_id) FROM pictures WHERE upload_set_id = @set", ("set", Guid.Parse(setId!)));
        foreach (var s in sequences!)
        {
            using var response = await owner.DeleteAsync($"/api/collections/{s}");
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        // Let every job finish, then nothing of it may be public or stored.
        do
        {
            await Task.Delay(200);
        }
        while (await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") > 0 && TimeProvider.System.GetUtcNow() < deadline);
        var pictures = await ScalarAsync<Guid[]>("SELECT array_agg(id) FROM pictures WHERE upload_set_id = @set", ("set", Guid.Parse(setId!)));
        Assert.Equal(Files.Length, pictures!.Length);
        var state = await ScalarAsync<string>("SELECT string_agg(concat_ws(' ', id, sequence_id, status, deleted_at IS NOT NULL), '; ') FROM pictures WHERE id = ANY(@ids)", ("ids", pictures));
        Assert.True(0L == await ScalarAsync<long>("SELECT count(*) FROM pictures WHERE id = ANY(@ids) AND (deleted_at IS NULL OR status = 'ready')", ("ids", pictures)), state);
        foreach (var s in sequences)
        {
            Assert.Equal("deleted", await ScalarAsync<string>("SELECT status FROM sequences WHERE id = @id", ("id", s)));
            await ManageFixture.JsonAsync(f.Http, $"/api/collections/{s}", HttpStatusCode.NotFound);
        }
        var store = f.Services.GetRequiredService<IBlobStore>();
        foreach (var id in pictures)
        {
            await ManageFixture.JsonAsync(f.Http, $"/api/pictures/{id}", HttpStatusCode.NotFound);
            Assert.Empty(await store.ListAsync(StorageKeys.PictureFolder(id), default).ToListAsync());
        }
    }

    private async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(f.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
