using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Visibility;

namespace Panoramax.UnitTests.Domain;

public class StorageKeysTests
{
    [Fact]
    public void Picture_files_share_one_folder_per_picture()
    {
        var id = Guid.Parse("0a1b2c3d-0000-4000-8000-000000000001");
        Assert.Equal("pictures/0a/1b/0a1b2c3d-0000-4000-8000-000000000001/hd.jpg", StorageKeys.Hd(id));
        Assert.Equal("pictures/0a/1b/0a1b2c3d-0000-4000-8000-000000000001/tiles/3_1.jpg", StorageKeys.Tile(id, 3, 1));
        Assert.StartsWith(StorageKeys.TilesPrefix(id), StorageKeys.Tile(id, 0, 0), StringComparison.Ordinal);
        Assert.True(StorageKeys.IsValid(StorageKeys.Original(id)));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/abs/key.jpg")]
    [InlineData("a//b.jpg")]
    [InlineData("a/./b.jpg")]
    [InlineData("a\\b.jpg")]
    [InlineData("a/b c.jpg")]
    [InlineData("")]
    public void Hostile_keys_are_invalid(string key) => Assert.False(StorageKeys.IsValid(key));
}

public class VisibilityPolicyTests
{
    private static readonly Guid Owner = Guid.NewGuid();

    [Theory]
    [InlineData(Visibility.Anyone, "anonymous", true)]
    [InlineData(Visibility.LoggedOnly, "anonymous", false)]
    [InlineData(Visibility.OwnerOnly, "anonymous", false)]
    [InlineData(Visibility.Anyone, "other", true)]
    [InlineData(Visibility.LoggedOnly, "other", true)]
    [InlineData(Visibility.OwnerOnly, "other", false)]
    [InlineData(Visibility.OwnerOnly, "owner", true)]
    [InlineData(Visibility.OwnerOnly, "admin", true)]
    public void Visibility_matrix(Visibility visibility, string who, bool expected)
    {
        var viewer = who switch
        {
            "anonymous" => Viewer.Anonymous,
            "other" => Viewer.Account(Guid.NewGuid()),
            "owner" => Viewer.Account(Owner),
            _ => Viewer.Account(Guid.NewGuid(), isAdmin: true),
        };
        Assert.Equal(expected, VisibilityPolicy.CanSee(viewer, visibility, Owner));
    }
}
